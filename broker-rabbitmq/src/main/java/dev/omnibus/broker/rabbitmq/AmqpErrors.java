package dev.omnibus.broker.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads amqp-client failures: which are a lost connection, which a channel error, and what RabbitMQ said. */
final class AmqpErrors {
    static final int PRECONDITION_FAILED = 406;
    static final int NOT_FOUND = 404;
    static final int RESOURCE_LOCKED = 405;
    private static final Pattern TOO_LARGE = Pattern.compile("message size (\\d+) is larger than configured max size (\\d+)");

    private AmqpErrors() {
    }

    /** The shutdown signal in {@code t}'s cause chain, or null. */
    static ShutdownSignalException signal(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ShutdownSignalException) {
                return (ShutdownSignalException) c;
            }
        }
        return null;
    }

    /** True when {@code t} means the connection went away (it recovers) rather than a refusal by RabbitMQ. */
    static boolean connectionLost(Throwable t) {
        ShutdownSignalException s = signal(t);
        if (s == null) {
            return t instanceof IOException;
        }
        return s.isHardError() && !s.isInitiatedByApplication();
    }

    /** The AMQP reply code of a channel or connection close, or 0. */
    static int code(Throwable t) {
        ShutdownSignalException s = signal(t);
        if (s == null) {
            return 0;
        }
        Object reason = s.getReason();
        if (reason instanceof AMQP.Channel.Close) {
            return ((AMQP.Channel.Close) reason).getReplyCode();
        }
        if (reason instanceof AMQP.Connection.Close) {
            return ((AMQP.Connection.Close) reason).getReplyCode();
        }
        return 0;
    }

    /** What RabbitMQ said, e.g. {@code PRECONDITION_FAILED - inequivalent arg 'durable' ...}, or the exception text. */
    static String text(Throwable t) {
        ShutdownSignalException s = signal(t);
        if (s != null) {
            Object reason = s.getReason();
            if (reason instanceof AMQP.Channel.Close) {
                return ((AMQP.Channel.Close) reason).getReplyText();
            }
            if (reason instanceof AMQP.Connection.Close) {
                return ((AMQP.Connection.Close) reason).getReplyText();
            }
            return s.isInitiatedByApplication() ? "closed by the application" : String.valueOf(s.getMessage());
        }
        return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    }

    /** {size, limit} if RabbitMQ refused a message for its size, else null. */
    static long[] tooLarge(Throwable t) {
        if (code(t) != PRECONDITION_FAILED) {
            return null;
        }
        Matcher m = TOO_LARGE.matcher(text(t));
        return m.find() ? new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))} : null;
    }
}
