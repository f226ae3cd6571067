package dev.omnibus.broker.support;

import dev.omnibus.broker.SlowConsumer;
import dev.omnibus.broker.SlowConsumerListener;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports the stalls of one demand-driven subscription: tells every {@link SlowConsumerListener}
 * of each stall, and logs the slow-consumer warning at most once per
 * {@link DeliveryQueue#WARN_INTERVAL} (with the stalls since the last one). The warning goes to
 * {@link DeliveryQueue}'s logger with the same {@code "Slow consumer: "} prefix as its buffer-full
 * warning, so one alert rule catches both. Thread-safe.
 */
public final class SlowConsumerAlarm {
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryQueue.class);
    private static final Logger OWN = LoggerFactory.getLogger(SlowConsumerAlarm.class);

    private final String brokerName;
    private final String pattern;
    private final String queue;
    private final int prefetch;
    private final List<SlowConsumerListener> listeners;
    private final WarningThrottle warning = new WarningThrottle();

    /**
     * @param brokerName the broker's provider name
     * @param pattern    the subscription's topic or pattern
     * @param queue      its queue group, or null
     * @param prefetch   its prefetch, named in the warning
     * @param listeners  told of every stall
     */
    public SlowConsumerAlarm(String brokerName, String pattern, String queue, int prefetch, List<SlowConsumerListener> listeners) {
        this.brokerName = Objects.requireNonNull(brokerName);
        this.pattern = Objects.requireNonNull(pattern);
        this.queue = queue;
        this.prefetch = prefetch;
        this.listeners = List.copyOf(listeners);
    }

    /** One message has waited {@code waited} for demand. */
    public void stalled(Duration waited) {
        SlowConsumer stall = new SlowConsumer(brokerName, pattern, queue, waited);
        for (SlowConsumerListener l : listeners) {
            try {
                l.onSlowConsumer(stall);
            } catch (RuntimeException e) {
                OWN.warn("Slow-consumer listener {} failed; ignored", l, e);
            }
        }
        long n = warning.occurred(1);
        if (n >= 0) {
            LOG.warn("Slow consumer: subscription '{}' has had a message waiting {} for its subscriber's demand ({} stalls since the "
                    + "last warning); at most prefetch={} messages are held here, the broker keeps the rest and no publisher is "
                    + "held back: request more, or consume faster", queue == null ? pattern : pattern + "@" + queue, waited, n, prefetch);
        }
    }
}
