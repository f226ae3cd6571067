package dev.omnibus.bench;

import com.google.common.eventbus.AllowConcurrentEvents;
import com.google.common.eventbus.AsyncEventBus;
import com.google.common.eventbus.Subscribe;
import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import com.lmax.disruptor.util.DaemonThreadFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** The in-process references the memory broker is compared with. */
final class MemoryReferences {
    private static final byte[] STOP = new byte[0];

    private MemoryReferences() {
    }

    /** Plain {@link ArrayBlockingQueue} handoff: one queue per subscriber (broadcast) or one shared queue (group). */
    static final class QueueHandoff implements Workload {
        private final int consumers;
        private final boolean shared;
        private final List<BlockingQueue<byte[]>> queues = new ArrayList<>();
        private final List<Thread> threads = new ArrayList<>();
        private volatile Probe probe;
        private int bodySize;

        QueueHandoff(int consumers, boolean shared) {
            this.consumers = consumers;
            this.shared = shared;
        }

        @Override
        public String name() {
            return "ArrayBlockingQueue";
        }

        @Override
        public int fanout() {
            return shared ? 1 : consumers;
        }

        @Override
        public void setUp(int bodySize) {
            this.bodySize = bodySize;
            for (int i = 0; i < (shared ? 1 : consumers); i++) {
                queues.add(new ArrayBlockingQueue<>(1024));
            }
            for (int i = 0; i < consumers; i++) {
                BlockingQueue<byte[]> q = queues.get(shared ? 0 : i);
                Thread t = new Thread(() -> {
                    try {
                        for (byte[] b = q.take(); b != STOP; b = q.take()) {
                            probe.delivered(b);
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "abq-consumer-" + i);
                t.setDaemon(true);
                t.start();
                threads.add(t);
            }
        }

        @Override
        public void run(int count, Probe probe) throws InterruptedException {
            this.probe = probe;
            for (int i = 0; i < count; i++) {
                byte[] body = Probe.stampedBody(bodySize);
                for (BlockingQueue<byte[]> q : queues) {
                    q.put(body);
                }
            }
        }

        @Override
        public void close() throws InterruptedException {
            for (int i = 0; i < consumers; i++) {
                queues.get(shared ? 0 : i).put(STOP);
            }
            for (Thread t : threads) {
                t.join(5000);
            }
        }
    }

    /** Guava's {@link AsyncEventBus} with one executor thread per subscriber. */
    static final class GuavaAsyncEventBus implements Workload {
        private final int subscribers;
        private ExecutorService executor;
        private AsyncEventBus bus;
        private volatile Probe probe;
        private int bodySize;

        GuavaAsyncEventBus(int subscribers) {
            this.subscribers = subscribers;
        }

        @Override
        public String name() {
            return "Guava AsyncEventBus";
        }

        @Override
        public int fanout() {
            return subscribers;
        }

        @Override
        public void setUp(int bodySize) {
            this.bodySize = bodySize;
            executor = Executors.newFixedThreadPool(subscribers);
            bus = new AsyncEventBus(executor);
            for (int i = 0; i < subscribers; i++) {
                bus.register(new Object() {
                    @Subscribe
                    @AllowConcurrentEvents
                    public void on(byte[] body) {
                        probe.delivered(body);
                    }
                });
            }
        }

        @Override
        public void run(int count, Probe probe) {
            this.probe = probe;
            for (int i = 0; i < count; i++) {
                bus.post(Probe.stampedBody(bodySize));
            }
        }

        @Override
        public void close() {
            executor.shutdownNow();
        }
    }

    /** The LMAX Disruptor: a 1024-slot ring, blocking wait strategy, one handler per subscriber. */
    static final class LmaxDisruptor implements Workload {
        private final int subscribers;
        private Disruptor<Slot> disruptor;
        private RingBuffer<Slot> ring;
        private volatile Probe probe;
        private int bodySize;

        static final class Slot {
            byte[] body;
        }

        LmaxDisruptor(int subscribers) {
            this.subscribers = subscribers;
        }

        @Override
        public String name() {
            return "LMAX Disruptor";
        }

        @Override
        public int fanout() {
            return subscribers;
        }

        @Override
        @SuppressWarnings("unchecked")
        public void setUp(int bodySize) {
            this.bodySize = bodySize;
            disruptor = new Disruptor<>(Slot::new, 1024, DaemonThreadFactory.INSTANCE, ProducerType.SINGLE, new BlockingWaitStrategy());
            EventHandler<Slot>[] handlers = new EventHandler[subscribers];
            for (int i = 0; i < subscribers; i++) {
                handlers[i] = (slot, seq, end) -> probe.delivered(slot.body);
            }
            disruptor.handleEventsWith(handlers);
            ring = disruptor.start();
        }

        @Override
        public void run(int count, Probe probe) {
            this.probe = probe;
            for (int i = 0; i < count; i++) {
                ring.publishEvent((slot, seq, body) -> slot.body = body, Probe.stampedBody(bodySize));
            }
        }

        @Override
        public void close() {
            disruptor.halt();
        }
    }
}
