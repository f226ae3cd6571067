package dev.omnibus.broker.support;

import java.util.regex.Pattern;

/**
 * The one place that removes secrets from text shown to people. {@code Broker.address()},
 * {@code toString()}, log lines and exception messages that carry a URL pass it through
 * {@link #url(String)}.
 */
public final class Redaction {
    /** What a removed secret is replaced with. */
    public static final String MASK = "***";

    // user:password@ in any scheme://authority, also in malformed URLs; the password runs to the
    // last '@' before the path, since an unencoded '@' in a password is a common mistake
    private static final Pattern USERINFO_PASSWORD = Pattern.compile("(?<=://)([^:/@\\s]*):([^/\\s]*)@");
    // a token as the whole user-info (nats://TOKEN@host): without a ':' it may be a secret on its own
    private static final Pattern USERINFO_TOKEN = Pattern.compile("(?<=://)([^:/@\\s,]+)@");
    // password=..., token=..., pass=... in query strings
    private static final Pattern SECRET_PARAM = Pattern.compile(
            "(?i)([?&;](?:password|pass|token|secret|auth_token|nkey|jwt)=)([^&;\\s]*)");

    private Redaction() {
    }

    /**
     * {@code url} with the password of its user-info, a user-info without ':' (a token), and secret
     * query parameters masked. Null stays null.
     */
    public static String url(String url) {
        if (url == null) {
            return null;
        }
        String s = USERINFO_PASSWORD.matcher(url).replaceAll("$1:" + MASK + "@");
        s = USERINFO_TOKEN.matcher(s).replaceAll(MASK + "@");
        return SECRET_PARAM.matcher(s).replaceAll("$1" + MASK);
    }

    /** {@code text} with every occurrence of {@code secret} masked (no-op for null or empty secrets). */
    public static String secret(String text, String secret) {
        if (text == null || secret == null || secret.isEmpty()) {
            return text;
        }
        return text.replace(secret, MASK);
    }

    /**
     * A one-line, redacted description of {@code cause} for logs, health and exception messages: its
     * message (or class name) with URLs' passwords masked, {@code password} and the password of each
     * of {@code urls} masked, control characters replaced by spaces, at most 1,000 characters. For a
     * backend that reports a client library's exception, whose message may carry the URL it was
     * given: {@code Redaction.throwable(e, options.password(), options.urls())}.
     */
    public static String throwable(Throwable cause, String password, java.util.List<String> urls) {
        String text = cause.getMessage() != null ? cause.getMessage() : cause.getClass().getName();
        String s = secret(url(text), password);
        for (String u : urls) {
            String p = urlPassword(u);
            s = secret(s, p);
            if (p != null && p.indexOf('%') >= 0) {
                try {
                    // a client may echo the decoded form
                    s = secret(s, java.net.URLDecoder.decode(p, java.nio.charset.StandardCharsets.UTF_8));
                } catch (IllegalArgumentException e) {
                    // not valid percent-encoding: the raw form is masked already
                }
            }
        }
        StringBuilder b = new StringBuilder(Math.min(s.length(), 1000));
        for (int i = 0; i < s.length() && b.length() < 1000; i++) {
            char c = s.charAt(i);
            b.append(c < ' ' || c == 0x7f ? ' ' : c);
        }
        return b.toString();
    }

    /** The password in {@code scheme://user:password@host}, or null. */
    static String urlPassword(String url) {
        int start = url.indexOf("://");
        int at = url.lastIndexOf('@');
        if (start < 0 || at < start) {
            return null;
        }
        int colon = url.indexOf(':', start + 3);
        return colon > 0 && colon < at ? url.substring(colon + 1, at) : null;
    }
}
