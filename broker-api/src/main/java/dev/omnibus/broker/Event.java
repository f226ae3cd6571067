package dev.omnibus.broker;

/**
 * One delivery of a message to a subscription.
 *
 * <p>{@link #ack()} and {@link #nack()} settle the delivery; the first settlement wins and later
 * calls are ignored, so calling them from a handler running with auto-ack is harmless. An event
 * may be settled from any thread, also after the handler returned (with auto-ack off).
 */
public interface Event {
    /** The concrete topic the message was published to (never a pattern). */
    String topic();

    Message message();

    /** 1 for the first delivery, 2 for the first redelivery, and so on. */
    int deliveryAttempt();

    /** Marks the message processed; it will not be redelivered. */
    void ack();

    /**
     * Marks the message failed: it is redelivered after the subscription's redelivery delay,
     * or dead-lettered after {@code maxDeliveries} attempts.
     */
    void nack();

    /**
     * Sends {@code reply} to the requester of this message. It returns once the reply is handed to
     * the broker, without waiting for the broker to confirm it (on every backend): a reply lost
     * after that shows as the requester's timeout, and the backend logs a warning where it learns of
     * the loss (RabbitMQ: a reply returned because its reply queue is gone, or not sent within the
     * publish timeout while the connection is down; Kafka: a failed send).
     * The request is acked as usual when the handler returns; it is not redelivered because its
     * reply was lost. A failure known at the call (a reply over the size limit, a broker
     * disconnecting) throws, as a publish would.
     *
     * @throws IllegalStateException if the message was not sent with {@link Broker#request}
     */
    void reply(Message reply);
}
