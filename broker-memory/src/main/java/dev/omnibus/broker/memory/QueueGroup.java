package dev.omnibus.broker.memory;

import dev.omnibus.broker.Message;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The members of one (pattern, queue) pair. Each message goes to one member, round robin,
 * skipping members whose buffer is full when another has room. A message handed back while the
 * group has no member (an unacked delivery of a member that left, a redelivery) waits here for
 * the next member; newly published messages are not kept (the memory broker is not durable).
 */
final class QueueGroup implements Route {
    final String pattern;
    final String queue;
    private final MemoryBus bus;
    private final List<MemorySubscription> members = new CopyOnWriteArrayList<>();
    private final AtomicInteger next = new AtomicInteger();
    /** How often messages parked for lack of room are offered to the members again. */
    static final java.time.Duration DRAIN_INTERVAL = java.time.Duration.ofMillis(50);

    private final ArrayDeque<Object[]> parked = new ArrayDeque<>();

    QueueGroup(MemoryBus bus, String pattern, String queue) {
        this.bus = bus;
        this.pattern = pattern;
        this.queue = queue;
    }

    static String key(String pattern, String queue) {
        return queue + " " + pattern;
    }

    String key() {
        return key(pattern, queue);
    }

    @Override
    public void deliver(String topic, Message message, int attempt) {
        for (int round = 0; round < 3; round++) {
            Object[] snapshot = members.toArray();
            int n = snapshot.length;
            if (n == 0) {
                break;
            }
            int start = Math.floorMod(next.getAndIncrement(), n);
            for (int i = 0; i < n; i++) {
                if (((MemorySubscription) snapshot[(start + i) % n]).tryOffer(topic, message, attempt)) {
                    return;
                }
            }
            // every buffer is full: the chosen member's overflow policy decides
            if (((MemorySubscription) snapshot[start]).offer(topic, message, attempt)) {
                return;
            }
        }
        if (members.isEmpty()) {
            bus.park(this, topic, message, attempt);
        } else {
            // only members that are closing refused it; they are about to leave, so keep it for the next one
            parkLocally(topic, message, attempt);
        }
    }

    /**
     * Takes back a message a member gave up without handling it, or a redelivery: to a member with
     * room, never blocking and never refusing (the overflow policy is for publishers), else kept
     * for the next member with room or the next to join.
     */
    void handBack(String topic, Message message, int attempt) {
        Object[] snapshot = members.toArray();
        int n = snapshot.length;
        if (n > 0) {
            int start = Math.floorMod(next.getAndIncrement(), n);
            for (int i = 0; i < n; i++) {
                if (((MemorySubscription) snapshot[(start + i) % n]).tryOffer(topic, message, attempt)) {
                    return;
                }
            }
        }
        if (members.isEmpty()) {
            bus.park(this, topic, message, attempt);
        } else {
            parkLocally(topic, message, attempt);
        }
    }

    /** Adds a member; returns true if it is the first (the group must be routed). */
    boolean add(MemorySubscription member) {
        boolean first = members.isEmpty();
        members.add(member);
        Object[][] waiting;
        synchronized (parked) {
            waiting = parked.toArray(new Object[0][]);
            parked.clear();
        }
        for (Object[] p : waiting) {
            // never more than the member's buffer takes: the rest waits for room (see drainParked)
            if (!member.tryOffer((String) p[0], (Message) p[1], (Integer) p[2])) {
                parkLocally((String) p[0], (Message) p[1], (Integer) p[2]);
            }
        }
        return first;
    }

    /** Removes a member; returns true if the group is now empty. */
    boolean remove(MemorySubscription member) {
        return members.remove(member) && members.isEmpty();
    }

    /** Hands parked messages to members with room; called as members make room. Returns whether any are left. */
    boolean drainParked() {
        while (true) {
            Object[] p;
            synchronized (parked) {
                p = parked.poll();
            }
            if (p == null) {
                return false;
            }
            boolean taken = false;
            for (MemorySubscription m : members) {
                if (m.tryOffer((String) p[0], (Message) p[1], (Integer) p[2])) {
                    taken = true;
                    break;
                }
            }
            if (!taken) {
                synchronized (parked) {
                    parked.addFirst(p);
                }
                return true;
            }
        }
    }

    boolean hasParked() {
        synchronized (parked) {
            return !parked.isEmpty();
        }
    }

    boolean isEmpty() {
        return members.isEmpty();
    }

    /** Keeps a message for a member with room (tried every {@link #DRAIN_INTERVAL}) or the next to join. */
    void parkLocally(String topic, Message message, int attempt) {
        boolean first;
        synchronized (parked) {
            first = parked.isEmpty();
            parked.add(new Object[] {topic, message, attempt});
        }
        if (first) {
            scheduleDrain();
        }
    }

    private void scheduleDrain() {
        try {
            bus.timer.schedule(() -> {
                if (!members.isEmpty() && drainParked()) {
                    scheduleDrain();
                }
            }, DRAIN_INTERVAL.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // the bus is closed: nothing to deliver to
        }
    }
}
