package dev.omnibus.broker.rabbitmq;

/**
 * The AMQP delivery behind a local event, settled once its final outcome is known: handled (or
 * dead-lettered, or dropped after the last attempt) acks it; a delivery the subscription could not
 * finish is requeued so that RabbitMQ hands it to another consumer.
 */
interface Origin {
    void ack();

    void requeue();
}
