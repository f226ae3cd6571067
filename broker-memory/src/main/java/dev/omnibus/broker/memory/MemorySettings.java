package dev.omnibus.broker.memory;

import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.OverflowPolicy;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.spi.BackendProperty;
import dev.omnibus.broker.spi.PropertySet;
import java.time.Duration;

/**
 * The memory backend's properties, declared once in {@link #PROPERTIES} and parsed and validated
 * as a whole: a typo or bad value fails at {@code create}/{@code init}.
 */
record MemorySettings(String busName, long maxMessageBytes, int bufferSize, OverflowPolicy overflow, Duration blockTimeout) {
    static final BackendProperty<Integer> BUFFER_SIZE = BackendProperty.ofInt("bufferSize", SubscribeOptions.DEFAULT_BUFFER_SIZE,
            1, Integer.MAX_VALUE, "buffer of each subscription that keeps the `SubscribeOptions` default");
    static final BackendProperty<OverflowPolicy> OVERFLOW = BackendProperty.ofChoice("overflow", OverflowPolicy.class,
            SubscribeOptions.DEFAULT_OVERFLOW, "what a publish does when that buffer is full: `block` (wait up to `blockTimeout`,"
                    + " then fail), `drop_oldest`, `drop_newest` or `fail`");
    static final BackendProperty<Duration> BLOCK_TIMEOUT = BackendProperty.ofDuration("blockTimeout",
            SubscribeOptions.DEFAULT_BLOCK_TIMEOUT, "how long `block` waits (ms or ISO-8601)")
            .where(d -> !d.isNegative(), "must not be negative");
    static final BackendProperty<Long> MAX_MESSAGE_BYTES = BackendProperty.ofLong("maxMessageBytes",
            MemoryBroker.DEFAULT_MAX_MESSAGE_BYTES, 1, Integer.MAX_VALUE, "largest message, body plus headers")
            .defaultText("`" + MemoryBroker.DEFAULT_MAX_MESSAGE_BYTES + "` (16 MiB)");
    static final PropertySet PROPERTIES = PropertySet.of(BUFFER_SIZE, OVERFLOW, BLOCK_TIMEOUT, MAX_MESSAGE_BYTES);

    static MemorySettings parse(BrokerOptions o) {
        if (!o.scheme().equals("memory")) {
            throw new IllegalArgumentException("the memory broker takes memory: URLs, not '" + o.redactedUrls() + "'");
        }
        if (o.urls().size() > 1) {
            throw new IllegalArgumentException("the memory broker takes one URL, got " + o.redactedUrls());
        }
        PROPERTIES.check(o, MemoryBrokerProvider.NAME);
        return new MemorySettings(MemoryBroker.busName(o.url()), MAX_MESSAGE_BYTES.value(o), BUFFER_SIZE.value(o),
                OVERFLOW.value(o), BLOCK_TIMEOUT.value(o));
    }
}
