package dev.omnibus.broker;

/**
 * What a backend can do beyond plain at-most-once broadcast publish/subscribe.
 *
 * <p>A broker declares its capabilities in {@link Broker#capabilities()}. Asking a broker
 * for something it does not declare fails at the call with an
 * {@link UnsupportedCapabilityException} naming the capability; nothing is silently
 * downgraded.
 */
public enum Capability {
    /** Subscriptions sharing a queue name share the messages: each goes to one member. */
    QUEUE_GROUPS,
    /** Subscription patterns may use {@code *} (one token) and a final {@code >} (one or more). */
    WILDCARDS,
    /** Handlers ack and nack; a nacked or failed message is redelivered. */
    ACKNOWLEDGEMENT,
    /** After {@code maxDeliveries} failed attempts a message goes to a dead-letter topic. */
    DEAD_LETTER,
    /** A durable queue group keeps messages while it has no member connected. */
    DURABLE_SUBSCRIPTIONS,
    /** {@link Broker#request} with replies routed back to the caller. */
    REQUEST_REPLY,
    /** A returned {@link Broker#publish} means the broker has stored or routed the message. */
    PUBLISH_CONFIRMS,
    /** One publisher, one topic, a concurrency-1 subscription: delivery in publish order. */
    ORDERED_DELIVERY,
    /** Broker instances in different processes and machines exchange messages. */
    CROSS_PROCESS
}
