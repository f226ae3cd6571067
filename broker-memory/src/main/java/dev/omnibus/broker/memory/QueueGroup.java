package dev.omnibus.broker.memory;

import dev.omnibus.broker.Message;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * The members of one (pattern, queue) pair. Each message goes to one member, round robin,
 * skipping members whose buffer is full when another has room. A message handed back while the
 * group has no member (an unacked delivery of a member that left, a redelivery) waits here for
 * the next member; newly published messages are not kept (the memory broker is not durable).
 *
 * <p>The publish path allocates nothing: the members are an array replaced on join and leave
 * (never copied per message), and the round-robin position is one atomic counter on a cache line
 * of its own ({@link Cursor}), so publishers on other cores do not contend on the group's fields.
 */
final class QueueGroup implements Route {
    final String pattern;
    final String queue;
    private final MemoryBus bus;
    private static final MemorySubscription[] NONE = new MemorySubscription[0];

    /** Replaced (under this group's lock) on join and leave; read without a lock on the publish path. */
    private volatile MemorySubscription[] members = NONE;
    private final Cursor next = new Cursor();
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
            MemorySubscription[] snapshot = members;
            int n = snapshot.length;
            if (n == 0) {
                break;
            }
            int start = next.start(n);
            for (int i = start; i < n; i++) {
                if (snapshot[i].tryOffer(topic, message, attempt)) {
                    return;
                }
            }
            for (int i = 0; i < start; i++) {
                if (snapshot[i].tryOffer(topic, message, attempt)) {
                    return;
                }
            }
            // every buffer is full: the chosen member's overflow policy decides
            if (snapshot[start].offer(topic, message, attempt)) {
                return;
            }
        }
        if (isEmpty()) {
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
        MemorySubscription[] snapshot = members;
        int n = snapshot.length;
        if (n > 0) {
            int start = next.start(n);
            for (int i = 0; i < n; i++) {
                if (snapshot[(start + i) % n].tryOffer(topic, message, attempt)) {
                    return;
                }
            }
        }
        if (isEmpty()) {
            bus.park(this, topic, message, attempt);
        } else {
            parkLocally(topic, message, attempt);
        }
    }

    /** Adds a member; returns true if it is the first (the group must be routed). */
    boolean add(MemorySubscription member) {
        boolean first;
        synchronized (this) {
            MemorySubscription[] m = members;
            first = m.length == 0;
            MemorySubscription[] grown = Arrays.copyOf(m, m.length + 1);
            grown[m.length] = member;
            members = grown;
        }
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
        synchronized (this) {
            MemorySubscription[] m = members;
            for (int i = 0; i < m.length; i++) {
                if (m[i] == member) {
                    MemorySubscription[] shrunk = new MemorySubscription[m.length - 1];
                    System.arraycopy(m, 0, shrunk, 0, i);
                    System.arraycopy(m, i + 1, shrunk, i, m.length - i - 1);
                    members = shrunk.length == 0 ? NONE : shrunk;
                    return shrunk.length == 0;
                }
            }
            return false;
        }
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
        return members.length == 0;
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
                if (!isEmpty() && drainParked()) {
                    scheduleDrain();
                }
            }, DRAIN_INTERVAL.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // the bus is closed: nothing to deliver to
        }
    }

    /**
     * The round-robin position, padded on both sides (through the class hierarchy, which the JVM
     * does not reorder) so that it owns its cache line. {@link #start} is one atomic add.
     */
    static final class Cursor extends CursorValue {
        @SuppressWarnings("unused")
        private long q1, q2, q3, q4, q5, q6, q7;

        /** The member index a message starts at among {@code n} members (n > 0). */
        int start(int n) {
            return Math.floorMod((int) VALUE.getAndAdd(this, 1), n);
        }
    }

    abstract static class CursorPadding {
        @SuppressWarnings("unused")
        private long p1, p2, p3, p4, p5, p6, p7;
    }

    abstract static class CursorValue extends CursorPadding {
        static final java.lang.invoke.VarHandle VALUE;

        static {
            try {
                VALUE = java.lang.invoke.MethodHandles.lookup().findVarHandle(CursorValue.class, "value", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        @SuppressWarnings("unused")
        private volatile int value;
    }
}
