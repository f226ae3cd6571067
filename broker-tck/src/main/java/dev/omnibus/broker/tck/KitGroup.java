package dev.omnibus.broker.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.Message;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;

/**
 * The small shared context of one kit run that every group of the kit works in, as Micrometer's
 * kit does: brokers made and disconnected for each test ({@link #connected}), fresh topics and
 * group names ({@link #topic}, {@link #group}), deadlines scaled by the kit's timeout scale
 * ({@link #t}), message counts ({@link #n}), capability checks that skip with the reason, the
 * report line of the fault tests, and the backend's hooks. A group (one file each, e.g.
 * {@link FaultsTests}) extends it; {@link BrokerCompatibilityKit} runs every group against the
 * backend its subclass creates. Backend authors do not extend this class: they extend the kit.
 */
public abstract class KitGroup {
    private final BrokerCompatibilityKit kit;

    protected KitGroup(BrokerCompatibilityKit kit) {
        this.kit = kit;
    }

    /** Skips each test of a group whose {@link RequiresCapabilities} the backend does not all declare. */
    @BeforeEach
    final void requiredCapabilities() {
        RequiresCapabilities required = getClass().getAnnotation(RequiresCapabilities.class);
        if (required != null) {
            for (Capability c : required.value()) {
                assumeCapability(c);
            }
        }
    }

    // ---------------------------------------------------------------- the context

    /** {@code millis} scaled by the kit's {@link BrokerCompatibilityKit#timeoutScale()}. */
    protected final Duration t(long millis) {
        return kit.t(millis);
    }

    /** {@code full}, divided by ten in quick mode ({@code -Domnibus.tck.quick=true}). */
    protected static int n(int full) {
        return BrokerCompatibilityKit.n(full);
    }

    /** A connected broker of the backend under test, disconnected after the test. */
    protected final Broker connected(String nodeName) {
        return kit.connected(nodeName);
    }

    /** A broker not yet connected, disconnected after the test. */
    protected final Broker disconnected(String nodeName) {
        return kit.disconnected(nodeName);
    }

    /** A connected broker whose URL points at {@code host:port} (a proxy, a private server), its options changed by {@code tweak}. */
    protected final Broker connectedAt(String nodeName, String host, int port, UnaryOperator<BrokerOptions.Builder> tweak) {
        return kit.connectedAt(nodeName, host, port, tweak);
    }

    /** A new broker of the backend (not tracked: the caller disconnects it). */
    protected final Broker createBroker(String nodeId) {
        return kit.createBroker(nodeId);
    }

    /** Disconnects {@code broker} after the test. */
    protected final void track(Broker broker) {
        kit.track(broker);
    }

    /** {@code name} made unique to this test: a node id. */
    protected final String node(String name) {
        return kit.node(name);
    }

    /** A token unique to this test. */
    protected final String runId() {
        return kit.runId();
    }

    /** A topic unique to this test and run. */
    protected final String topic(String suffix) {
        return kit.topic(suffix);
    }

    /** A queue group name unique to this test. */
    protected final String group(String name) {
        return kit.group(name);
    }

    /** {@link #group(String)} where {@code broker} declares queue groups, else null (a broadcast subscription). */
    protected final String groupIfSupported(Broker broker, String name) {
        return broker.capabilities().contains(Capability.QUEUE_GROUPS) ? group(name) : null;
    }

    /** Skips the test, with the reason, unless {@code broker} declares {@code capability}. */
    protected final void assumeCapability(Broker broker, Capability capability) {
        kit.assumeCapability(broker, capability);
    }

    /** Skips the test, with the reason, unless the backend declares {@code capability}. */
    protected final void assumeCapability(Capability capability) {
        kit.assumeCapability(capability);
    }

    /** The kit class and backend, for reports. */
    protected final String backendLabel() {
        return kit.backendLabel();
    }

    /** Prints and returns the one-line tally of a fault or cluster test. */
    protected final String report(String test, int sent, List<String> sentIds, List<String> received, String extra) {
        return kit.report(test, sent, sentIds, received, extra);
    }

    // ---------------------------------------------------------------- the backend's hooks

    protected final double timeoutScale() {
        return kit.timeoutScale();
    }

    protected final BrokerOptions optionsWithPassword(String password) {
        return kit.optionsWithPassword(password);
    }

    protected final String urlWithNothingListening() {
        return kit.urlWithNothingListening();
    }

    protected final long maxMessageBytes() {
        return kit.maxMessageBytes();
    }

    protected final BrokerOptions optionsWithWrongCredentials(String wrongPassword) {
        return kit.optionsWithWrongCredentials(wrongPassword);
    }

    protected final long serverResourceCount() {
        return kit.serverResourceCount();
    }

    protected final BrokerServer restartableServer() {
        return kit.restartableServer();
    }

    protected final TcpProxy cuttableProxy() {
        return kit.cuttableProxy();
    }

    protected final BrokerOptions childOptions(String nodeId) {
        return kit.childOptions(nodeId);
    }

    // ---------------------------------------------------------------- helpers

    protected static Message text(String body) {
        return Message.of(body);
    }

    protected static void assertExactlyOnce(List<String> sent, List<String> received) {
        String diff = Inbox.difference(sent, received);
        assertThat(diff).as("every message exactly once").isEmpty();
    }

    protected static List<String> publishMany(Broker pub, String topic, int count, String prefix) {
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Message m = text(prefix + i);
            pub.publish(topic, m);
            sent.add(m.id());
        }
        return sent;
    }

    /** Waits until {@code count} stops changing for {@code quiet}, at most {@code atMost} (no failure when it keeps changing). */
    protected static void awaitQuiet(java.util.function.IntSupplier count, Duration quiet, Duration atMost) {
        AtomicInteger last = new AtomicInteger(-1);
        java.util.concurrent.atomic.AtomicLong since = new java.util.concurrent.atomic.AtomicLong(System.nanoTime());
        catchThrowable(() -> await().atMost(atMost).pollInterval(Duration.ofMillis(50)).until(() -> {
            int c = count.getAsInt();
            long now = System.nanoTime();
            if (c != last.getAndSet(c)) {
                since.set(now);
            }
            return now - since.get() >= quiet.toNanos();
        }));
    }

    protected static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    protected static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    /** Simulates a handler busy with work for {@code d} (not a synchronisation wait). */
    protected static void busy(Duration d) throws InterruptedException {
        Thread.sleep(d.toMillis());
    }
}
