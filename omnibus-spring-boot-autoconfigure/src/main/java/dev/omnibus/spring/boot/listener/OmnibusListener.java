package dev.omnibus.spring.boot.listener;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Subscribes a bean method to a topic or pattern of the auto-configured broker, once the broker
 * is connected; the subscription closes (letting a running call finish) before the broker
 * disconnects.
 *
 * <p>Parameters, in any order: at most one payload (any type the codec decodes, generic types
 * included), {@link dev.omnibus.broker.Message}, {@link dev.omnibus.broker.Event}, and header
 * values with {@link Header @Header("name")}. A method that returns a value answers requests: the
 * value (encoded by the codec, or a {@code Message} as is) is sent with {@code event.reply}. A
 * method that throws fails the delivery: it is retried and dead-lettered as configured here.
 *
 * <p>String attributes resolve {@code ${...}} placeholders. Misuse (a bad pattern, two payloads,
 * an unknown parameter type, a capability the backend lacks) fails the application's startup with
 * a message naming the bean and the method.
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface OmnibusListener {
    /** The topic or pattern ({@code orders.*}, {@code orders.>}); placeholders allowed. */
    String topic();

    /** Queue group: members share the messages. Empty for broadcast. */
    String queue() default "";

    /** Keep the queue's messages while no member is connected (needs {@link #queue()}). */
    boolean durable() default false;

    /** Most calls of this method at once for this subscription; 1 keeps publish order. */
    int concurrency() default 1;

    /** Ack when the method returns and nack when it throws; false to settle through an {@code Event} parameter. */
    boolean autoAck() default true;

    /** Delivery attempts before a message is dead-lettered or dropped; 0 for the default (5). */
    int maxDeliveries() default 0;

    /** Wait before the first retry, e.g. {@code 500ms}, {@code 2s} or {@code PT2S}; empty for the default (1 s). */
    String retryDelay() default "";

    /** Growth of the retry delay per failed attempt; 1 for a fixed delay, more for exponential backoff. */
    double retryMultiplier() default 1.0;

    /** The longest retry delay with exponential backoff; empty for 10 × the first delay. */
    String retryMaxDelay() default "";

    /** Where a message goes after its last failed attempt (or when its payload does not decode); empty to drop it. */
    String deadLetterTopic() default "";
}
