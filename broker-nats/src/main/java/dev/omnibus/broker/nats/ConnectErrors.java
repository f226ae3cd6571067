package dev.omnibus.broker.nats;

import dev.omnibus.broker.ConnectionException;
import dev.omnibus.broker.support.Redaction;
import io.nats.client.AuthenticationException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Turns what jnats throws on connect into a {@link ConnectionException} that says what went wrong
 * and what to do, naming the redacted address. jnats messages can carry server URLs with user
 * info, so neither the message nor the cause chain keeps the password.
 */
final class ConnectErrors {
    private ConnectErrors() {
    }

    static ConnectionException of(Throwable failure, String address, List<String> secrets, Duration connectTimeout) {
        String detail = failure == null ? "" : scrub(String.valueOf(failure.getMessage()), secrets);
        String lower = detail.toLowerCase(Locale.ROOT);
        String message;
        if (failure == null) {
            message = "could not connect to NATS at " + address + " within the connect timeout of " + connectTimeout
                    + "; check that nats-server runs there and is reachable, or raise connectTimeout";
        } else if (failure instanceof AuthenticationException || lower.contains("authorization") || lower.contains("authentication")) {
            message = "NATS at " + address + " refused the credentials (" + detail
                    + "); check the user name and password (or token) in the URL or BrokerOptions.credentials";
        } else if (lower.contains("ssl") || lower.contains("tls")) {
            message = "TLS mismatch with NATS at " + address + " (" + detail
                    + "); if the server requires TLS use a tls:// URL or set BrokerOptions.sslContext, "
                    + "and check that the server certificate is trusted";
        } else {
            message = "could not connect to NATS at " + address + " (" + detail
                    + "); check that nats-server runs there and is reachable";
        }
        return new ConnectionException(message, failure == null ? null : scrubbed(failure, secrets));
    }

    /** {@code t} itself if no message in its chain shows a secret, else a copy with the secrets masked. */
    static Throwable scrubbed(Throwable t, List<String> secrets) {
        boolean leaks = false;
        for (Throwable c = t; c != null && !leaks; c = c.getCause()) {
            String m = c.getMessage();
            leaks = m != null && !m.equals(scrub(m, secrets));
        }
        if (!leaks) {
            return t;
        }
        Throwable copy = new ScrubbedException(t.getClass().getName() + ": " + scrub(String.valueOf(t.getMessage()), secrets),
                t.getCause() == null ? null : scrubbed(t.getCause(), secrets));
        copy.setStackTrace(t.getStackTrace());
        return copy;
    }

    static String scrub(String text, List<String> secrets) {
        String s = Redaction.url(text);
        for (String secret : secrets) {
            s = Redaction.secret(s, secret);
        }
        return s;
    }

    /** Stands in for a client exception whose message contained a secret. */
    static final class ScrubbedException extends Exception {
        private static final long serialVersionUID = 1L;

        ScrubbedException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
