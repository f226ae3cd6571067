package dev.omnibus.broker.kafka;

import dev.omnibus.broker.Handler;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Topics;
import dev.omnibus.broker.support.AbstractSubscription;
import dev.omnibus.broker.support.Delivery;
import dev.omnibus.broker.support.DeliveryRule;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A subscription, fed by its own {@link GroupConsumer} (queue groups) or by the node's
 * {@link NodeConsumer} (broadcast). The shared {@link DeliveryRule} decides; the verbs here:
 *
 * <ul>
 *   <li>redeliver: in process, after the retry policy's delay, while the record's offset stays
 *       uncommitted, so the group still has it if this process goes away meanwhile;
 *   <li>settle (handled, dead-lettered or dropped): the offset may be committed once every earlier
 *       one is settled too ({@link PartitionLedger});
 *   <li>give back: leave the offset uncommitted; the partition's next owner reads it again.
 *       Broadcast deliveries, which nobody else could take, are dropped with a debug line.
 * </ul>
 */
final class KafkaSubscription extends AbstractSubscription implements DeliveryRule.Backend<Rec> {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaSubscription.class);

    private final KafkaBroker broker;
    private final DeliveryRule<Rec> rule;
    /** The pattern's regex; null for a plain topic. */
    final Pattern regex;
    /** When it subscribed: topics found later are read from the first record at or after it. */
    final long startMillis = System.currentTimeMillis();
    /** Broadcast: deliveries offered and not settled, for flow control. */
    private final AtomicInteger open = new AtomicInteger();
    /** Broadcast, node consumer thread only: the next offset this subscription wants, per partition. */
    final Map<TopicPartition, Long> next = new HashMap<>();
    private volatile GroupConsumer group;

    KafkaSubscription(KafkaBroker broker, String pattern, Handler handler, SubscribeOptions options, int extraCapacity) {
        super(broker, pattern, options);
        this.broker = broker;
        this.regex = Topics.isPattern(pattern) ? KafkaNames.regex(pattern) : null;
        this.rule = deliveryRule(guarded(handler), options.bufferSize() + extraCapacity, this);
    }

    /**
     * Skips deliveries of partitions this member no longer owns: their next owner handles them, and
     * the rule forgets them (so that, with manual ack, they do not hold a prefetch slot for ever).
     */
    @SuppressWarnings("unchecked")
    private Handler guarded(Handler handler) {
        return e -> {
            Delivery<Rec> d = (Delivery<Rec>) e;
            Rec r = d.handle();
            if (!r.begin()) {
                rule.forget(d);
                return;
            }
            try {
                handler.handle(e);
            } finally {
                r.end();
            }
        };
    }

    void attach(GroupConsumer g) {
        this.group = g;
    }

    boolean matches(String topic) {
        return regex == null ? topic().equals(topic) : regex.matcher(topic).matches();
    }

    /** Broadcast: the node consumer should pause while this subscription holds this many. */
    boolean saturated() {
        return open.get() >= options().bufferSize();
    }

    boolean offer(String topic, Message message, int attempt, Rec rec) {
        if (rec.ledger() == null) {
            open.incrementAndGet();
        }
        return rule.offer(topic, message, attempt, rec);
    }

    @Override
    public void redeliver(Delivery<Rec> d, Duration delay) {
        rule.retryLater(d, delay, broker.timer());
    }

    @Override
    public void settle(Delivery<Rec> d, DeliveryRule.Outcome outcome) {
        Rec r = d.handle();
        if (r.ledger() == null) {
            open.decrementAndGet();
            r.settled();
            broker.nodeConsumerIfStarted().ifPresent(NodeConsumer::settled);
        } else {
            r.settled();
            GroupConsumer g = group;
            if (g != null) {
                g.settled();
            }
        }
    }

    @Override
    public void giveBack(Delivery<Rec> d, boolean started) {
        Rec r = d.handle();
        if (r.ledger() == null) {
            open.decrementAndGet();
            LOG.debug("Broadcast message {} of '{}' given back: dropped, no other member could take it", d.message().id(), d.topic());
        } else if (!rule.isClosing() && isActive()) {
            // refused by a full buffer while running: keep the offset open and try again shortly
            rule.offerAgainLater(d, Duration.ofMillis(100), broker.timer());
        }
        // else: the offset stays uncommitted, the partition's next owner reads it again
    }

    @Override
    public void reply(String replyTo, Message reply) {
        broker.sendReply(replyTo, reply);
    }

    @Override
    protected void doStopIntake() {
        GroupConsumer g = group;
        if (g != null) {
            g.stopIntake();
        } else {
            broker.nodeConsumerIfStarted().ifPresent(n -> n.remove(this));
        }
    }

    @Override
    protected void doClose(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        rule.close(timeout);
        GroupConsumer g = group;
        if (g != null) {
            g.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
    }
}
