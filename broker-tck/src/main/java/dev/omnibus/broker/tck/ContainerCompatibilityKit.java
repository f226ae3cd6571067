package dev.omnibus.broker.tck;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInfo;

/**
 * The kit against a backend's server in containers started through Testcontainers: the run's
 * shared container for the behaviours, and a private one for the restart behaviour (31), made on
 * first use and stopped after the class, so the shared one is never restarted. The whole class is
 * skipped, with the reason, when no Docker engine answers. A subclass names its two containers and
 * makes its brokers against {@link #sharedServer()}:
 *
 * <pre>{@code
 * class MyContainerCompatibilityTest extends ContainerCompatibilityKit {
 *     protected BrokerServer sharedServer() { return BrokerServers.natsContainer(); }
 *     protected BrokerServer newPrivateServer() { return BrokerServers.privateNatsContainer(); }
 *     protected Broker createBroker(String nodeId) {
 *         return Brokers.create(BrokerOptions.builder().url(sharedServer().url()).nodeId(nodeId).build());
 *     }
 * }
 * }</pre>
 */
public abstract class ContainerCompatibilityKit extends BrokerCompatibilityKit {
    /** Each test class's private container, made on first use. */
    private static final Map<Class<?>, BrokerServer> PRIVATE = new ConcurrentHashMap<>();

    @BeforeAll
    static void requireDocker() {
        Assumptions.assumeTrue(BrokerServers.dockerAvailable(), () -> "container-backed kit skipped: " + BrokerServers.whyNoDocker());
    }

    @AfterAll
    static void stopPrivateServer(TestInfo info) {
        info.getTestClass().map(PRIVATE::remove).ifPresent(BrokerServer::close);
    }

    /** The run's shared container (e.g. {@link BrokerServers#natsContainer()}), started on first use; never restarted. */
    protected abstract BrokerServer sharedServer();

    /** A new container that the restart behaviour may stop and start (e.g. {@link BrokerServers#privateNatsContainer()}). */
    protected abstract BrokerServer newPrivateServer();

    @Override
    protected final BrokerServer restartableServer() {
        return PRIVATE.computeIfAbsent(getClass(), c -> newPrivateServer());
    }
}
