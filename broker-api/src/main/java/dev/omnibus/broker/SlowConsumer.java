package dev.omnibus.broker;

import java.time.Duration;
import java.util.Objects;

/**
 * One stall of a demand-driven subscription ({@link Subscriptions#publisher}, {@link Subscriptions#pull}):
 * a message was waiting for the subscriber's demand for at least the stall threshold
 * ({@link FlowOptions#slowConsumerAfter()}) while the broker kept the rest. Immutable.
 *
 * @param brokerName the broker's provider name ({@code memory}, {@code nats}, {@code rabbitmq})
 * @param pattern    the subscription's topic or pattern (bounded: fit for a metric tag)
 * @param queue      the queue group, or null for a broadcast subscription
 * @param waited     how long the message had waited when the stall was reported
 */
public record SlowConsumer(String brokerName, String pattern, String queue, Duration waited) {
    public SlowConsumer {
        Objects.requireNonNull(brokerName, "brokerName must not be null");
        Objects.requireNonNull(pattern, "pattern must not be null");
        Objects.requireNonNull(waited, "waited must not be null");
    }
}
