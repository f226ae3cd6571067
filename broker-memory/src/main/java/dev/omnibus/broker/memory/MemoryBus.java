package dev.omnibus.broker.memory;

import dev.omnibus.broker.Message;
import dev.omnibus.broker.support.TopicIndex;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The in-process "server": the pattern index, the queue groups and a timer for redeliveries and
 * request timeouts. A named bus is shared by every broker attached under that name and lives while
 * at least one is attached; an unnamed bus belongs to one broker.
 */
final class MemoryBus {
    private static final Map<String, MemoryBus> NAMED = new HashMap<>();

    final String name;
    final TopicIndex<Route> index = new TopicIndex<>();
    final ScheduledExecutorService timer;
    private final Map<String, QueueGroup> groups = new ConcurrentHashMap<>();
    private int attached;

    private MemoryBus(String name) {
        this.name = name;
        String threadName = "omnibus-memory-timer" + (name != null ? "-" + name : "");
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
    }

    /** The bus named {@code name} (created on first use), or a new private bus for null. */
    static MemoryBus attach(String name) {
        synchronized (NAMED) {
            MemoryBus bus = name == null ? new MemoryBus(null) : NAMED.computeIfAbsent(name, MemoryBus::new);
            bus.attached++;
            return bus;
        }
    }

    void detach() {
        synchronized (NAMED) {
            if (--attached == 0) {
                if (name != null) {
                    NAMED.remove(name, this);
                }
                timer.shutdownNow();
            }
        }
    }

    /** Delivers {@code message} to every route matching {@code topic}; returns how many matched. */
    int route(String topic, Message message) {
        List<Route> routes = index.match(topic);
        for (int i = 0, n = routes.size(); i < n; i++) {
            routes.get(i).deliver(topic, message, 1);
        }
        return routes.size();
    }

    boolean hasRoute(String topic) {
        return !index.match(topic).isEmpty();
    }

    QueueGroup join(String pattern, String queue, MemorySubscription member) {
        synchronized (groups) {
            QueueGroup g = groups.computeIfAbsent(QueueGroup.key(pattern, queue), k -> new QueueGroup(this, pattern, queue));
            if (g.add(member)) {
                index.add(pattern, g);
            }
            return g;
        }
    }

    /** Takes {@code member} out of {@code g}; an empty group is no longer routed but keeps what is handed back to it. */
    void leave(QueueGroup g, MemorySubscription member) {
        synchronized (groups) {
            if (g.remove(member)) {
                index.remove(g.pattern, g);
            }
        }
    }

    /** Forgets {@code g} once it has neither members nor parked messages. */
    void release(QueueGroup g) {
        synchronized (groups) {
            if (g.isEmpty() && !g.hasParked()) {
                groups.remove(g.key(), g);
            }
        }
    }

    /**
     * Keeps a message no member took until the group's next member joins. The group is registered
     * again if it was released meanwhile; if a newer group of the same key exists, it gets the message.
     */
    void park(QueueGroup g, String topic, Message message, int attempt) {
        QueueGroup target;
        synchronized (groups) {
            target = groups.putIfAbsent(g.key(), g);
            if ((target == null || target == g) && g.isEmpty()) {
                g.parkLocally(topic, message, attempt);
                return;
            }
        }
        // a member joined meanwhile, or a newer group object took over this key: deliver there
        (target == null ? g : target).deliver(topic, message, attempt);
    }
}
