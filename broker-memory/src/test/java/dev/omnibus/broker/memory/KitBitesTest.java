package dev.omnibus.broker.memory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.tck.BrokerCompatibilityKit;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.engine.discovery.NestedMethodSelector;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

/**
 * Proves the kit bites: for each {@link BrokenBroker.Fault} — a bug a real backend could have, in
 * every group of the kit — it runs the kit tests that guard against it on a memory broker with that
 * fault (through JUnit's EngineTestKit, not Surefire) and expects every one of them to fail, while
 * the same tests pass on the unbroken control. The faults and their guards are listed in
 * {@code broker-tck/BEHAVIOURS.md}.
 */
class KitBitesTest {
    private static final String KIT = BrokerCompatibilityKit.class.getName();
    /** Memory is fast: short deadlines keep the failing runs short (the control passes with the same). */
    private static final double SCALE = 0.25;

    /** The fault the next run of {@link FaultyKit} has; runs are sequential. */
    private static volatile BrokenBroker.Fault fault = BrokenBroker.Fault.NONE;

    /** The kit on a broken memory broker; static nested, so Surefire does not run it on its own. */
    static class FaultyKit extends BrokerCompatibilityKit {
        @Override
        protected double timeoutScale() {
            return SCALE;
        }

        @Override
        protected Broker createBroker(String nodeId) {
            return new BrokenBroker(Brokers.create(BrokerOptions.builder().url("memory://bites").nodeId(nodeId).build()), fault);
        }
    }

    static Stream<BrokenBroker.Fault> faults() {
        return Arrays.stream(BrokenBroker.Fault.values()).filter(f -> f != BrokenBroker.Fault.NONE);
    }

    @Test
    @DisplayName("at least 30 faults, spread over the kit's groups, each guarded by kit tests")
    void manyFaults() {
        List<BrokenBroker.Fault> faults = faults().collect(Collectors.toList());
        assertThat(faults).hasSizeGreaterThanOrEqualTo(30).allSatisfy(f -> assertThat(f.guards).as(f.name()).isNotEmpty());
        Set<String> groups = faults.stream().flatMap(f -> f.guards.stream()).map(g -> g.split("#")[0]).collect(Collectors.toSet());
        assertThat(groups).hasSizeGreaterThanOrEqualTo(10);
    }

    @Test
    @DisplayName("broker-tck/BEHAVIOURS.md lists every fault with what it breaks and its guards")
    void faultsAreCatalogued() {
        StringBuilder table = new StringBuilder("| fault | what it breaks | caught by |\n|---|---|---|\n");
        faults().forEach(f -> table.append("| `").append(f.name()).append("` | ").append(f.what).append(" | ")
                .append(f.guards.stream().map(g -> "`" + g + "`").collect(Collectors.joining(", "))).append(" |\n"));
        dev.omnibus.broker.tck.GeneratedDocs.assertUpToDate(java.nio.file.Path.of("..", "broker-tck", "BEHAVIOURS.md"), "kit-bites",
                table.toString(), getClass());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("faults")
    @DisplayName("a backend with this fault fails every kit test that guards against it")
    void faultIsCaught(BrokenBroker.Fault f) {
        Map<String, String> failed = failedTests(f, f.guards);
        assertThat(failed.keySet()).as("guards of %s that failed", f).containsExactlyInAnyOrderElementsOf(f.guards);
    }

    @Test
    @DisplayName("the unbroken control passes every guarding test")
    void controlPasses() {
        Set<String> all = new LinkedHashSet<>();
        faults().forEach(f -> all.addAll(f.guards));
        assertThat(failedTests(BrokenBroker.Fault.NONE, List.copyOf(all))).isEmpty();
    }

    /** Runs {@code tests} ("Nested#method") of the kit with {@code f}; returns the failed ones with their failure messages. */
    private static Map<String, String> failedTests(BrokenBroker.Fault f, List<String> tests) {
        fault = f;
        try {
            List<NestedMethodSelector> selectors = tests.stream().map(t -> t.split("#"))
                    .map(t -> DiscoverySelectors.selectNestedMethod(List.of(FaultyKit.class.getName()), KIT + "$" + t[0], t[1]))
                    .collect(Collectors.toList());
            List<Event> finished = EngineTestKit.engine("junit-jupiter").selectors(selectors.toArray(new NestedMethodSelector[0]))
                    .execute().testEvents().finished().list();
            Set<String> ran = finished.stream().map(KitBitesTest::name).collect(Collectors.toSet());
            List<String> aborted = finished.stream().filter(e -> e.getPayload(TestExecutionResult.class).orElseThrow().getStatus()
                    == TestExecutionResult.Status.ABORTED).map(KitBitesTest::name).collect(Collectors.toList());
            assertThat(aborted).as("guarding tests skipped on the memory broker for %s (they cannot catch anything there)", f).isEmpty();
            assertThat(ran).as("kit tests that ran for %s", f).containsExactlyInAnyOrderElementsOf(Set.copyOf(tests));
            Map<String, String> failed = new TreeMap<>();
            for (Event e : finished) {
                TestExecutionResult result = e.getPayload(TestExecutionResult.class).orElseThrow();
                // only a failure is a catch: a test skipped by an assumption (ABORTED) caught nothing
            if (result.getStatus() == TestExecutionResult.Status.FAILED) {
                    failed.put(name(e), result.getThrowable().map(t -> String.valueOf(t.getMessage())).orElse(result.getStatus().toString()));
                }
            }
            return failed;
        } finally {
            fault = BrokenBroker.Fault.NONE;
        }
    }

    private static String name(Event e) {
        org.junit.platform.engine.support.descriptor.MethodSource m = (org.junit.platform.engine.support.descriptor.MethodSource) e.getTestDescriptor().getSource().orElseThrow();
        String nested = m.getClassName().substring(m.getClassName().lastIndexOf('$') + 1);
        return nested + "#" + m.getMethodName();
    }
}
