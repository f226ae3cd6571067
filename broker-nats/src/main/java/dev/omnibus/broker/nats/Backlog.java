package dev.omnibus.broker.nats;

import dev.omnibus.broker.Message;
import dev.omnibus.broker.OverflowPolicy;
import dev.omnibus.broker.support.DeliveryQueue;
import dev.omnibus.broker.support.DeliveryRule;
import dev.omnibus.broker.support.HandlerPool;
import dev.omnibus.broker.support.WarningThrottle;
import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands a core subscription's messages from the broker's shared jnats dispatcher to its
 * {@link DeliveryRule} without ever making that dispatcher wait, so that one subscription with a
 * full buffer does not hold up the others.
 *
 * <p>Under DROP_* and FAIL the hand-off never waits anyway. Under BLOCK, a message that finds the
 * buffer full waits here instead, with what arrives after it queued behind it in arrival order,
 * and a task on the {@link HandlerPool} does the waiting offer (up to the block timeout, as
 * before on the subscription's own dispatcher). The backlog holds at most what jnats let a
 * dispatcher hold pending ({@link io.nats.client.Consumer#DEFAULT_MAX_MESSAGES} messages,
 * {@link io.nats.client.Consumer#DEFAULT_MAX_BYTES} bytes); beyond that a message is dropped, with
 * a slow-consumer warning at most once per {@link DeliveryQueue#WARN_INTERVAL}.
 */
final class Backlog {
    private static final Logger LOG = LoggerFactory.getLogger(Backlog.class);
    static final long MAX_MESSAGES = io.nats.client.Consumer.DEFAULT_MAX_MESSAGES;
    static final long MAX_BYTES = io.nats.client.Consumer.DEFAULT_MAX_BYTES;

    private final String name;
    private final DeliveryRule<io.nats.client.Message> rule;
    private final HandlerPool pool;
    private final boolean block;
    private final Runnable push = this::push;
    /** Guarded by this. */
    private ArrayDeque<Item> items;
    private long bytes;
    private boolean pushing;
    private final WarningThrottle dropWarning = new WarningThrottle();

    private record Item(String topic, Message message, long size) {
    }

    Backlog(String name, DeliveryRule<io.nats.client.Message> rule, OverflowPolicy overflow, HandlerPool pool) {
        this.name = name;
        this.rule = rule;
        this.pool = pool;
        this.block = overflow == OverflowPolicy.BLOCK;
    }

    /** On the dispatcher thread: never waits. */
    void offer(String topic, Message message, long size) {
        if (!block) {
            rule.offer(topic, message, 1, null);
            return;
        }
        boolean start;
        synchronized (this) {
            if (!pushing && rule.tryTake(topic, message, 1, null)) {
                return;
            }
            if (rule.isClosing()) {
                return;
            }
            if (items == null) {
                items = new ArrayDeque<>();
            }
            if (items.size() >= MAX_MESSAGES || bytes + size > MAX_BYTES) {
                long dropped = dropWarning.occurred(1);
                if (dropped >= 0) {
                    LOG.warn("Slow consumer: subscription '{}' is {} messages behind its full buffer; {} messages dropped since the"
                            + " last warning (raise concurrency or bufferSize, or make the handler faster)", name, items.size(), dropped);
                }
                return;
            }
            items.addLast(new Item(topic, message, size));
            bytes += size;
            start = !pushing;
            pushing = true;
        }
        if (start) {
            try {
                pool.execute(push);
            } catch (RejectedExecutionException e) {
                // disconnecting: what waits here is lost, as core NATS loses what is in flight
                synchronized (this) {
                    pushing = false;
                    items.clear();
                    bytes = 0;
                }
            }
        }
    }

    /** On a pool thread: offers the waiting messages in order, each waiting for room up to the block timeout. */
    private void push() {
        while (true) {
            Item next;
            synchronized (this) {
                next = items.peekFirst();
                if (next == null) {
                    pushing = false;
                    return;
                }
            }
            // a full buffer after the block timeout, or a closed subscription: the rule drops it (core NATS keeps nothing)
            rule.offer(next.topic(), next.message(), 1, null);
            synchronized (this) {
                items.pollFirst();
                bytes -= next.size();
            }
        }
    }
}
