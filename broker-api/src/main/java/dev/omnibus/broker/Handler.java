package dev.omnibus.broker;

/**
 * Processes delivered messages.
 *
 * <p>With auto-ack (the default) a handler that returns acks the message and one that throws
 * (an exception or an {@link Error}) nacks it; a nacked message is redelivered where the
 * backend supports {@link Capability#ACKNOWLEDGEMENT}. A throwing handler never stops its
 * subscription. A handler runs on a broker thread; with concurrency 1 (the default) calls for
 * one subscription never overlap.
 */
@FunctionalInterface
public interface Handler {
    void handle(Event event) throws Exception;
}
