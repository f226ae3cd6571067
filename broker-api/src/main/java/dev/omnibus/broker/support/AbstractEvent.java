package dev.omnibus.broker.support;

import dev.omnibus.broker.Event;
import dev.omnibus.broker.Handler;
import dev.omnibus.broker.Headers;
import dev.omnibus.broker.Message;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Base for a backend's {@link Event}: settles once (first ack or nack wins), builds replies with
 * the request's correlation id, and runs a handler with the auto-ack rules of the API.
 * A backend implements {@link #onAck()}, {@link #onNack(Throwable)} and
 * {@link #sendReply(String, Message)}.
 */
public abstract class AbstractEvent implements Event {
    private static final Logger LOG = LoggerFactory.getLogger(AbstractEvent.class);
    private static final int OPEN = 0;
    private static final int ACKED = 1;
    private static final int NACKED = 2;
    /**
     * The settle-once state. A VarHandle rather than an AtomicIntegerFieldUpdater, which checks the
     * receiver's class on every call because every backend's event is a subclass of the class it
     * was made for.
     */
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(AbstractEvent.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final String topic;
    private final Message message;
    private final int attempt;
    private volatile int state;

    protected AbstractEvent(String topic, Message message, int attempt) {
        this.topic = topic;
        this.message = message;
        this.attempt = attempt;
    }

    @Override
    public final String topic() {
        return topic;
    }

    @Override
    public final Message message() {
        return message;
    }

    @Override
    public final int deliveryAttempt() {
        return attempt;
    }

    @Override
    public final void ack() {
        if (STATE.compareAndSet(this, OPEN, ACKED)) {
            onAck();
        }
    }

    @Override
    public final void nack() {
        fail(null);
    }

    /** Nacks with the cause of the failure (null when the handler nacked explicitly). */
    public final void fail(Throwable cause) {
        if (STATE.compareAndSet(this, OPEN, NACKED)) {
            onNack(cause);
        }
    }

    /**
     * Settles the event without calling {@link #onAck()} or {@link #onNack(Throwable)}, for a
     * backend taking back an unacknowledged delivery (e.g. when its subscription closes).
     *
     * @return true if the event was still open and is now the caller's to hand back
     */
    protected final boolean reclaim() {
        return STATE.compareAndSet(this, OPEN, NACKED);
    }

    /** True once acked or nacked. */
    public final boolean isSettled() {
        return state != OPEN;
    }

    @Override
    public final void reply(Message reply) {
        Objects.requireNonNull(reply, "reply must not be null");
        String replyTo = message.header(Headers.REPLY_TO);
        if (replyTo == null) {
            throw new IllegalStateException("message " + message.id() + " on topic '" + topic
                    + "' was not sent with request(), so there is nobody to reply to");
        }
        String correlation = message.header(Headers.CORRELATION_ID);
        sendReply(replyTo, reply.withHeader(Headers.CORRELATION_ID, correlation != null ? correlation : message.id()));
    }

    /**
     * Runs {@code handler} on this event: with {@code autoAck} a normal return acks; any
     * {@link Throwable} (also an Error) is logged and nacks, and never propagates.
     */
    public final void handleWith(Handler handler, boolean autoAck) {
        try {
            handler.handle(this);
            if (autoAck) {
                ack();
            }
        } catch (Throwable t) {
            LOG.warn("Handler failed on message {} from topic '{}' (attempt {}): {}", message.id(), topic, attempt, t.toString(),
                    LOG.isDebugEnabled() ? t : null);
            fail(t);
        }
    }

    /** The message was acked. Called once. */
    protected abstract void onAck();

    /** The message was nacked ({@code cause} null) or its handler failed. Called once. */
    protected abstract void onNack(Throwable cause);

    /** Publishes {@code reply} (correlation id set) to {@code replyTo}. */
    protected abstract void sendReply(String replyTo, Message reply);
}
