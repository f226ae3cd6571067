package dev.omnibus.spring.boot;

import dev.omnibus.broker.Broker;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Connects the {@link Broker} bean when the application context starts and disconnects it when
 * the context stops, in phase {@link #PHASE}: before the listeners ({@link #LISTENER_PHASE}) and
 * the web server start, after they stopped.
 *
 * <p>With {@link OmnibusProperties.Startup#FAIL} a broker that cannot be reached fails the
 * startup with its connection error. With {@link OmnibusProperties.Startup#RETRY} the application
 * starts anyway and a background thread tries again every retry interval; the callbacks given to
 * {@link #whenConnected(Runnable)} run once the broker is connected.
 */
public class OmnibusBrokerLifecycle implements SmartLifecycle {
    /** The broker's phase: early, before the web server (Boot's {@code DEFAULT_PHASE - 2048}). */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;
    /** The listeners' phase: after the broker connected, before the web server. */
    public static final int LISTENER_PHASE = PHASE + 1024;

    private static final Logger LOG = LoggerFactory.getLogger(OmnibusBrokerLifecycle.class);

    private final Broker broker;
    private final OmnibusProperties.Startup startup;
    private final Duration retryInterval;
    private final List<Runnable> onConnected = new CopyOnWriteArrayList<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition stopping = lock.newCondition();
    private volatile boolean running;
    private volatile boolean connected;
    private Thread retrier;

    /** Manages {@code broker} as {@code startup} says, trying again every {@code retryInterval} in retry mode. */
    public OmnibusBrokerLifecycle(Broker broker, OmnibusProperties.Startup startup, Duration retryInterval) {
        this.broker = Objects.requireNonNull(broker, "broker");
        this.startup = Objects.requireNonNull(startup, "startup");
        this.retryInterval = Objects.requireNonNull(retryInterval, "retryInterval");
        if (retryInterval.isNegative() || retryInterval.isZero()) {
            throw new IllegalArgumentException("omnibus.broker.startup-retry-interval must be positive, was " + retryInterval);
        }
    }

    /** The managed broker. */
    public Broker broker() {
        return broker;
    }

    /**
     * Runs {@code callback} once the broker is connected by this lifecycle: now, on this thread, if
     * it already is; else on the thread that connects it (so it may run twice in a race: make it idempotent).
     */
    public void whenConnected(Runnable callback) {
        onConnected.add(Objects.requireNonNull(callback, "callback"));
        if (connected) {
            callback.run();
        }
    }

    /** Forgets a callback given to {@link #whenConnected(Runnable)}. */
    public void removeCallback(Runnable callback) {
        onConnected.remove(callback);
    }

    /** True once this lifecycle connected the broker, until it stops. */
    public boolean isBrokerConnected() {
        return connected;
    }

    @Override
    public void start() {
        lock.lock();
        try {
            if (running) {
                return;
            }
            running = true;
        } finally {
            lock.unlock();
        }
        if (startup == OmnibusProperties.Startup.FAIL) {
            try {
                broker.connect();
            } catch (RuntimeException e) {
                running = false;
                throw e;
            }
            connected();
            return;
        }
        try {
            broker.connect();
            connected();
        } catch (RuntimeException e) {
            LOG.warn("Omnibus broker at {} is not reachable ({}); the application starts and retries every {} "
                    + "(omnibus.broker.startup=retry)", broker.address(), e.getMessage(), retryInterval);
            lock.lock();
            try {
                retrier = new Thread(this::retry, "omnibus-connect");
                retrier.setDaemon(true);
                retrier.start();
            } finally {
                lock.unlock();
            }
        }
    }

    private void retry() {
        while (running) {
            lock.lock();
            try {
                if (!running) {
                    return;
                }
                stopping.await(retryInterval.toNanos(), TimeUnit.NANOSECONDS);
                if (!running) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                lock.unlock();
            }
            try {
                broker.connect();
            } catch (RuntimeException e) {
                LOG.debug("Omnibus broker at {} still not reachable: {}", broker.address(), e.getMessage());
                continue;
            }
            if (!running) {
                // stopped while the last attempt was under way
                broker.disconnect();
                return;
            }
            LOG.info("Omnibus broker at {} connected after startup", broker.address());
            connected();
            return;
        }
    }

    private void connected() {
        connected = true;
        for (Runnable r : onConnected) {
            try {
                r.run();
            } catch (RuntimeException e) {
                if (startup == OmnibusProperties.Startup.FAIL && Thread.currentThread() != retrier) {
                    throw e;
                }
                LOG.error("Omnibus: a step after connecting to {} failed", broker.address(), e);
            }
        }
    }

    @Override
    public void stop() {
        Thread t;
        lock.lock();
        try {
            if (!running) {
                return;
            }
            running = false;
            stopping.signalAll();
            t = retrier;
            retrier = null;
        } finally {
            lock.unlock();
        }
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(broker.options().connectTimeout().toMillis() + 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        connected = false;
        broker.disconnect();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
