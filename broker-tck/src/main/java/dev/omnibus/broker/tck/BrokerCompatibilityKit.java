package dev.omnibus.broker.tck;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.event.ResourceKind;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.Assumptions;

/**
 * The compatibility kit: every behaviour a backend must keep, as JUnit 5 tests, numbered as in the
 * catalogue {@code broker-tck/BEHAVIOURS.md} (each display name starts with its number). The tests
 * live in one class per group ({@link LifecycleTests}, {@link FaultsTests}, ...) on the shared
 * {@link KitGroup} context, and run nested here. A backend's test extends this class and supplies
 * {@link #createBroker(String)}:
 *
 * <pre>{@code
 * class MyBrokerCompatibilityTest extends BrokerCompatibilityKit {
 *     protected Broker createBroker(String nodeId) {
 *         return Brokers.create(BrokerOptions.builder().url("my://localhost").nodeId(nodeId).build());
 *     }
 * }
 * }</pre>
 *
 * <p>Tests gated on a {@link Capability} the backend does not declare are reported as skipped
 * with the reason. Every test uses fresh topics, connects the brokers it creates and disconnects
 * them afterwards. Tests wait on conditions with deadlines scaled by {@link #timeoutScale()};
 * {@code -Domnibus.tck.quick=true} divides message counts by ten; {@code -Domnibus.tck.only=31,Faults}
 * runs only what it names ({@link KitSelection}).
 */
@ExtendWith(KitSelection.class)
public abstract class BrokerCompatibilityKit {
    /**
     * First topic token of this JVM's run: topics of two runs never share it, so a backend that
     * keeps state per topic prefix (a JetStream stream's subjects, say) left over by an aborted run
     * cannot get in the way of the next one.
     */
    private static final String RUN = Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffL, 36);
    private final List<Broker> brokers = new CopyOnWriteArrayList<>();
    private String testName = "test";
    private String run = Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffffL, 36);

    /**
     * A new, disconnected broker of the backend under test with node id {@code nodeId}. Brokers
     * created with different node ids act as different nodes (processes) of one system: they
     * must reach the same server (or, in memory, the same named bus).
     */
    protected abstract Broker createBroker(String nodeId);

    /** Multiplies every deadline; raise it for slow servers. Default: system property {@code omnibus.tck.timeoutScale} or 1. */
    protected double timeoutScale() {
        return Double.parseDouble(System.getProperty("omnibus.tck.timeoutScale", "1"));
    }

    /**
     * Options for this backend whose URL or credentials carry {@code password}, to check that it
     * never shows. Default: the options of {@code createBroker} with credentials set.
     */
    protected BrokerOptions optionsWithPassword(String password) {
        return createBroker(node("secret")).options().toBuilder().credentials("omnibus", password).build();
    }

    /** A URL of this backend where nothing listens, or null if the backend has no network address. */
    protected String urlWithNothingListening() {
        return null;
    }

    /**
     * The size limit, in bytes, of messages published by brokers of {@link #createBroker(String)}, or
     * -1 (the default) to skip the size-limit test (behaviour 29) with that reason. The kit publishes a
     * body one byte over it, so keep it below a few hundred MiB.
     */
    protected long maxMessageBytes() {
        return -1;
    }

    /**
     * Options for this backend's server carrying {@code wrongPassword}, which the server must refuse;
     * or null (the default) when the server under test checks no credentials, which skips behaviour 30's
     * credentials test with that reason.
     */
    protected BrokerOptions optionsWithWrongCredentials(String wrongPassword) {
        return null;
    }

    /**
     * How many resources (queues, consumers, inboxes) the server holds now, or -1 (the default) when
     * the backend cannot count them, which skips behaviour 27 with that reason. Counting may be slow: the
     * kit calls it twice.
     */
    protected long serverResourceCount() {
        return -1;
    }

    /**
     * A server the fault tests may restart (behaviour 31), or null (the default) to skip them with that
     * reason. Brokers for those tests are made by {@link #createBroker(String)} and pointed at the
     * server's host and port, their URL otherwise unchanged. See {@link BrokerServers}.
     */
    protected BrokerServer restartableServer() {
        return null;
    }

    /**
     * A new proxy that the fault tests (behaviours 32, 39, 43) put between a broker and the server
     * and then cut; the kit closes it after the test. Brokers for those tests are made by
     * {@link #createBroker(String)} with the URL's host and port replaced by the proxy's, so they
     * reach the server only through it. Default: a {@link TcpProxy} in front of the first address of
     * {@code createBroker}'s URL, or null (skip, with the reason) when that URL has no host and port.
     * Override where a client, once bootstrapped, connects to addresses the server advertises (Kafka):
     * return a proxy in front of a listener that advertises the proxy's own address.
     */
    protected TcpProxy cuttableProxy() {
        URI uri = URI.create(createBroker(node("probe")).options().url().split(",")[0].trim());
        if (uri.getHost() == null || uri.getPort() <= 0) {
            return null;
        }
        return TcpProxy.to(uri.getHost(), uri.getPort());
    }

    /**
     * The options a child JVM of the cluster tests (behaviours 33-35) connects with to reach the same
     * system as {@code createBroker(nodeId)}. Default: that broker's options.
     */
    protected BrokerOptions childOptions(String nodeId) {
        return createBroker(nodeId).options();
    }

    // ---------------------------------------------------------------- helpers

    /** Scaled duration. */
    protected final Duration t(long millis) {
        return Duration.ofMillis((long) (millis * timeoutScale()));
    }

    /** Count, divided by ten in quick mode. */
    protected static int n(int full) {
        return Boolean.getBoolean("omnibus.tck.quick") ? Math.max(1, full / 10) : full;
    }

    /** A connected broker with a node id unique to this test run. */
    protected final Broker connected(String nodeName) {
        Broker b = createBroker(node(nodeName));
        brokers.add(b);
        b.connect();
        return b;
    }

    /** A disconnected broker, disconnected again after the test. */
    protected final Broker disconnected(String nodeName) {
        Broker b = createBroker(node(nodeName));
        brokers.add(b);
        return b;
    }

    protected final String node(String name) {
        return name + "-" + run;
    }

    /**
     * A connected broker of {@link #createBroker(String)} whose URL points at {@code host:port} instead
     * (a proxy, a private server), with its options changed by {@code tweak}.
     */
    protected final Broker connectedAt(String nodeName, String host, int port, java.util.function.UnaryOperator<BrokerOptions.Builder> tweak) {
        Broker b = createBroker(node(nodeName));
        brokers.add(b);
        BrokerOptions o = b.options();
        b.init(tweak.apply(o.toBuilder().url(BrokerServers.withAddress(o.url(), host, port))).build());
        b.connect();
        return b;
    }

    /** The kit class and backend, for reports: {@code NatsJetStreamBrokerCompatibilityTest (nats)}. */
    protected final String backendLabel() {
        return getClass().getSimpleName() + " (" + createBroker(node("label")).name() + ")";
    }

    /** Prints one line of the fault and cluster tests' figures, and returns it. */
    protected final String report(String test, int sent, List<String> sentIds, List<String> received, String extra) {
        return KitReport.tally(backendLabel(), test, sent, sentIds, received, extra);
    }

    /** A topic unique to this test and run: {@code tck<run>.<test>.<random>.<suffix>}. */
    protected final String topic(String suffix) {
        return "tck" + RUN + "." + testName + "." + run + "." + suffix;
    }

    /** A queue group name unique to this test. */
    protected final String group(String name) {
        return name + "-" + testName + "-" + run;
    }

    protected final void assumeCapability(Broker broker, Capability capability) {
        Assumptions.assumeTrue(broker.capabilities().contains(capability),
                () -> "the " + broker.name() + " backend does not declare " + capability);
    }

    final void assumeCapability(Capability capability) {
        Broker probe = createBroker(node("probe"));
        assumeCapability(probe, capability);
    }

    /** The brokers made for the current test, disconnected after it. */
    final void track(Broker b) {
        brokers.add(b);
    }

    /** A token unique to the current test: in node ids, topics and passwords. */
    final String runId() {
        return run;
    }

    @BeforeEach
    void kitSetUp(TestInfo info) {
        String m = info.getTestMethod().map(java.lang.reflect.Method::getName).orElse("test");
        testName = m.replaceAll("[^A-Za-z0-9_-]", "_");
        run = Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffffL, 36);
    }

    @AfterEach
    void kitTearDown() {
        for (Broker b : brokers) {
            try {
                b.disconnect();
            } catch (RuntimeException e) {
                // a test may leave a broker broken on purpose; keep closing the others
            }
        }
        brokers.clear();
    }

    /** A resource kind for the typed-event tests. */
    @ResourceKind("tckworkload")
    public record Workload(String name, int replicas, Instant changedAt) {
    }

    // ---------------------------------------------------------------- the groups, one file each
    // (a group class is JUnit-nested here so that one subclass with createBroker runs them all)

    @Nested
    @DisplayName("Lifecycle")
    @Tag("lifecycle")
    class Lifecycle extends LifecycleTests {
        Lifecycle() {
            super(BrokerCompatibilityKit.this);
        }
    }

    @Nested
    @DisplayName("Publish and subscribe")
    @Tag("pubsub")
    class PublishSubscribe extends PublishSubscribeTests {
        PublishSubscribe() {
            super(BrokerCompatibilityKit.this);
        }
    }

    @Nested
    @DisplayName("Queue groups")
    @Tag("queue-groups")
    class QueueGroups extends QueueGroupsTests {
        QueueGroups() {
            super(BrokerCompatibilityKit.this);
        }
    }

    @Nested
    @DisplayName("Acknowledgement")
    @Tag("acknowledgement")
    class Acknowledgement extends AcknowledgementTests {
        Acknowledgement() {
            super(BrokerCompatibilityKit.this);
        }
    }

    @Nested
    @DisplayName("Dead letters")
    @Tag("dead-letters")
    class DeadLetters extends DeadLettersTests {
        DeadLetters() {
            super(BrokerCompatibilityKit.this);
        }
    }

    @Nested
    @DisplayName("Retry policy and dead-letter failures")
    @Tag("retry")
    class RetryPolicies extends RetryPoliciesTests {
        RetryPolicies() {
            super(BrokerCompatibilityKit.this);
        }
    }

    @Nested
    @DisplayName("Flow control")
    @Tag("flow-control")
    class FlowControl extends FlowControlTests {
        FlowControl() {
            super(BrokerCompatibilityKit.this);
        }
    }

    @Nested
    @DisplayName("Reactive and pull forms")
    @Tag("reactive")
    class Reactive extends ReactiveTests {
        Reactive() {
            super(BrokerCompatibilityKit.this);
        }
    }

    @Nested
    @DisplayName("Interceptors and handler threads")
    @Tag("interceptors")
    class Interceptors extends InterceptorsTests {
        Interceptors() {
            super(BrokerCompatibilityKit.this);
        }
    }

    @Nested
    @DisplayName("Request and reply")
    @Tag("request-reply")
    class RequestReply extends RequestReplyTests {
        RequestReply() {
            super(BrokerCompatibilityKit.this);
        }
    }

    @Nested
    @DisplayName("Bad input")
    @Tag("bad-input")
    class BadInput extends BadInputTests {
        BadInput() {
            super(BrokerCompatibilityKit.this);
        }
    }

    @Nested
    @DisplayName("Typed events")
    @Tag("typed-events")
    class TypedEvents extends TypedEventsTests {
        TypedEvents() {
            super(BrokerCompatibilityKit.this);
        }
    }

    @Nested
    @DisplayName("Durability")
    @Tag("durability")
    class Durability extends DurabilityTests {
        Durability() {
            super(BrokerCompatibilityKit.this);
        }
    }

    @Nested
    @DisplayName("Faults")
    @Tag("faults")
    class Faults extends FaultsTests {
        Faults() {
            super(BrokerCompatibilityKit.this);
        }
    }

    @Nested
    @DisplayName("Cluster across processes")
    @Tag("cluster")
    class ClusterAcrossProcesses extends ClusterAcrossProcessesTests {
        ClusterAcrossProcesses() {
            super(BrokerCompatibilityKit.this);
        }
    }

    @Nested
    @DisplayName("Concurrency")
    @Tag("concurrency")
    class Concurrency extends ConcurrencyTests {
        Concurrency() {
            super(BrokerCompatibilityKit.this);
        }
    }
}
