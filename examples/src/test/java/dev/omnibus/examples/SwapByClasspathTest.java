package dev.omnibus.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.omnibus.broker.tck.BrokerServers;
import dev.omnibus.examples.service.OrderService;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The same {@link OrderService} main, compiled against broker-api only, run three times in child
 * JVMs whose classpaths differ only in the backend jar (and its client library).
 */
class SwapByClasspathTest {
    private static final Map<String, List<String>> BACKEND_JARS = Map.of(
            "memory", List.of("broker-memory"),
            "nats", List.of("broker-nats", "jnats"),
            "rabbitmq", List.of("broker-rabbitmq", "amqp-client"),
            "kafka", List.of("broker-kafka", "kafka-clients"));

    @ParameterizedTest(name = "on {0}")
    @CsvSource({"memory, ''", "nats, nats", "rabbitmq, rabbitmq"})
    void sameMainRunsOnEveryBackend(String backend, String urlKind) throws Exception {
        String classpath = classpathWithOnly(backend);
        ProcessBuilder pb = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", classpath, OrderService.class.getName(), "10");
        pb.environment().remove("OMNIBUS_BROKER_URL");
        if (urlKind.equals("nats")) {
            pb.environment().put("OMNIBUS_BROKER_URL", BrokerServers.natsUrl());
        } else if (urlKind.equals("rabbitmq")) {
            pb.environment().put("OMNIBUS_BROKER_URL", BrokerServers.rabbitMqUrl());
        }
        Process p = pb.redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the service finished").isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("order-service running on " + backend)
                .contains("order-service on " + backend + ": 10 orders taken, 10 priced, 10 shipped");
    }

    /** This test's classpath without the jars of every other backend; fails if this backend's jar is absent. */
    private static String classpathWithOnly(String backend) {
        List<String> entries = Arrays.asList(System.getProperty("java.class.path").split(File.pathSeparator));
        List<String> others = BACKEND_JARS.entrySet().stream().filter(e -> !e.getKey().equals(backend))
                .flatMap(e -> e.getValue().stream()).collect(Collectors.toList());
        List<String> kept = entries.stream()
                .filter(entry -> others.stream().noneMatch(name -> Paths.get(entry).toString().contains("/" + name + "/")
                        || Paths.get(entry).getFileName().toString().startsWith(name + "-")))
                .collect(Collectors.toList());
        String own = BACKEND_JARS.get(backend).get(0);
        assertThat(kept).as("the test classpath holds the %s backend", backend)
                .anyMatch(entry -> entry.contains("/" + own + "/") || Paths.get(entry).getFileName().toString().startsWith(own));
        return String.join(File.pathSeparator, kept);
    }
}
