package dev.omnibus.broker.memory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.tck.BrokerCompatibilityKit;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.engine.discovery.NestedMethodSelector;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

/**
 * Proves the kit bites: it runs kit tests against deliberately broken wrappers of the memory broker
 * (through JUnit's EngineTestKit, not Surefire) and expects exactly the tests that guard against
 * each fault to fail, while the same tests pass on the unbroken control.
 */
class KitBitesTest {
    private static final String KIT = BrokerCompatibilityKit.class.getName();

    /** Kit classes for each fault; static nested, so Surefire does not run them on its own. */
    static class ControlKit extends BrokerCompatibilityKit {
        @Override
        protected double timeoutScale() {
            return SCALE;
        }

        @Override
        protected Broker createBroker(String nodeId) {
            return new BrokenBroker(memory(nodeId), BrokenBroker.Fault.NONE);
        }
    }

    static class DroppingKit extends BrokerCompatibilityKit {
        @Override
        protected double timeoutScale() {
            return SCALE;
        }

        @Override
        protected Broker createBroker(String nodeId) {
            return new BrokenBroker(memory(nodeId), BrokenBroker.Fault.DROPS_ONE_IN_A_THOUSAND);
        }
    }

    static class NoRedeliveryKit extends BrokerCompatibilityKit {
        @Override
        protected double timeoutScale() {
            return SCALE;
        }

        @Override
        protected Broker createBroker(String nodeId) {
            return new BrokenBroker(memory(nodeId), BrokenBroker.Fault.NO_REDELIVERY);
        }
    }

    static class DoubleDeliveryKit extends BrokerCompatibilityKit {
        @Override
        protected double timeoutScale() {
            return SCALE;
        }

        @Override
        protected Broker createBroker(String nodeId) {
            return new BrokenBroker(memory(nodeId), BrokenBroker.Fault.GROUP_MESSAGE_TO_TWO_MEMBERS);
        }
    }

    /** Memory is fast: short deadlines keep the failing runs short (the control passes with the same). */
    private static final double SCALE = 0.25;

    private static Broker memory(String nodeId) {
        return Brokers.create(BrokerOptions.builder().url("memory://bites").nodeId(nodeId).build());
    }

    private static final List<String> DROP_GUARDS = List.of("PublishSubscribe#ordered", "PublishSubscribe#concurrentPublishers");
    private static final List<String> REDELIVERY_GUARDS = List.of("Acknowledgement#redeliveredAfterFailure",
            "Acknowledgement#manualAck", "DeadLetters#deadLetter");
    private static final List<String> GROUP_GUARDS = List.of("QueueGroups#shareWork", "QueueGroups#groupsAndBroadcast");

    @Test
    @DisplayName("a backend that drops one message in a thousand fails the ordering and concurrent-publisher tests")
    void dropsOneInAThousand() {
        assertThat(failedTests(DroppingKit.class, DROP_GUARDS)).containsOnlyKeys(DROP_GUARDS);
    }

    @Test
    @DisplayName("a backend that redelivers nothing after a nack fails the redelivery, manual-ack and dead-letter tests")
    void noRedelivery() {
        assertThat(failedTests(NoRedeliveryKit.class, REDELIVERY_GUARDS)).containsOnlyKeys(REDELIVERY_GUARDS);
    }

    @Test
    @DisplayName("a backend that delivers a group message to two members fails the queue-group tests")
    void groupMessageToTwoMembers() {
        Map<String, String> failed = failedTests(DoubleDeliveryKit.class, GROUP_GUARDS);
        assertThat(failed).containsOnlyKeys(GROUP_GUARDS);
        assertThat(failed.get("QueueGroups#shareWork")).contains("duplicated");
    }

    @Test
    @DisplayName("the unbroken control passes every one of those tests")
    void controlPasses() {
        List<String> all = new java.util.ArrayList<>(DROP_GUARDS);
        all.addAll(REDELIVERY_GUARDS);
        all.addAll(GROUP_GUARDS);
        assertThat(failedTests(ControlKit.class, all)).isEmpty();
    }

    /** Runs {@code tests} ("Nested#method") of {@code kit}; returns the failed ones with their failure messages. */
    private static Map<String, String> failedTests(Class<? extends BrokerCompatibilityKit> kit, List<String> tests) {
        List<NestedMethodSelector> selectors = tests.stream().map(t -> t.split("#"))
                .map(t -> DiscoverySelectors.selectNestedMethod(List.of(kit.getName()), KIT + "$" + t[0], t[1]))
                .collect(Collectors.toList());
        List<Event> finished = EngineTestKit.engine("junit-jupiter").selectors(selectors.toArray(new NestedMethodSelector[0]))
                .execute().testEvents().finished().list();
        Set<String> ran = finished.stream().map(KitBitesTest::name).collect(Collectors.toSet());
        assertThat(ran).as("kit tests that ran for %s", kit.getSimpleName()).containsExactlyInAnyOrderElementsOf(tests);
        Map<String, String> failed = new TreeMap<>();
        for (Event e : finished) {
            TestExecutionResult result = e.getPayload(TestExecutionResult.class).orElseThrow();
            if (result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                failed.put(name(e), result.getThrowable().map(Throwable::getMessage).orElse(result.getStatus().toString()));
            }
        }
        return failed;
    }

    private static String name(Event e) {
        MethodSource m = (MethodSource) e.getTestDescriptor().getSource().orElseThrow();
        String nested = m.getClassName().substring(m.getClassName().lastIndexOf('$') + 1);
        return nested + "#" + m.getMethodName();
    }
}
