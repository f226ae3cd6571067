package dev.omnibus.broker.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Topics;
import dev.omnibus.broker.tck.Inbox;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class TopicMappingTest {
    private final List<Broker> brokers = new ArrayList<>();

    @AfterEach
    void tearDown() {
        brokers.forEach(Broker::disconnect);
    }

    @Test
    @DisplayName("'*' stays '*', a final '>' becomes '*.#', everything else is the routing key as is")
    void routingKeys() {
        String[][] table = {
            {"a.b", "a.b"}, {"a.*", "a.*"}, {"*.*", "*.*"}, {"a.>", "a.*.#"}, {">", "*.#"},
            {"*.b.>", "*.b.*.#"}, {"a.*.c", "a.*.c"}, {"a.>x", "a.>x"},
        };
        for (String[] row : table) {
            assertThat(StaticTopology.routingKey(row[0])).as("routing key of '%s'", row[0]).isEqualTo(row[1]);
        }
    }

    @Test
    @DisplayName("queue names are deterministic, distinct per (group, pattern), and at most 255 bytes")
    void queueNames() {
        assertThat(StaticTopology.nodeQueueName("omnibus", "n1")).isEqualTo("omnibus.node.n1");
        assertThat(StaticTopology.replyQueueName("omnibus", "n1")).isEqualTo("omnibus.reply.n1");
        assertThat(StaticTopology.groupQueueName("omnibus", "billing", "orders.*")).isEqualTo("omnibus.group.billing:orders.*");
        assertThat(StaticTopology.groupQueueName("omnibus", "a.b", "c")).isNotEqualTo(StaticTopology.groupQueueName("omnibus", "a", "b.c"));
        String longPattern = "x".repeat(120) + ".é." + "y".repeat(120) + ".>";
        String name = StaticTopology.groupQueueName("omnibus", "g".repeat(128), longPattern);
        assertThat(name.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(255);
        assertThat(name).matches(".*~[0-9a-f]{16}").isEqualTo(StaticTopology.groupQueueName("omnibus", "g".repeat(128), longPattern));
        assertThat(StaticTopology.groupQueueName("omnibus", "g".repeat(128), longPattern + "z"))
                .as("differs in the cut-off part only").isNotEqualTo(name);
    }

    @Test
    @DisplayName("live: broadcast and group subscriptions receive exactly the topics their pattern matches, a literal '#' included")
    void liveMatching() {
        String base = "mapping." + Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffffL, 36);
        Broker b = connect();
        String[] patterns = {base + ".>", base + ".*", base + ".*.c", base + ".a.>", base + ".#", ">"};
        String[] topics = {base, base + ".a", base + ".a.b", base + ".a.b.c", base + ".x.c", base + ".#", base + ".#.c"};
        List<Inbox> broadcast = new ArrayList<>();
        List<Inbox> group = new ArrayList<>();
        for (String p : patterns) {
            if (p.equals(">")) {
                // '>' alone would see every message on the server; check it with a group only, filtered by the base
                broadcast.add(null);
            } else {
                Inbox i = new Inbox();
                broadcast.add(i);
                b.subscribe(p, i);
            }
            Inbox g = new Inbox();
            group.add(g);
            b.subscribe(p, g, SubscribeOptions.builder().queue("mapping-" + group.size() + "-" + base.substring(8)).build());
        }
        for (String t : topics) {
            b.publish(t, Message.of(t));
        }
        for (int i = 0; i < patterns.length; i++) {
            String p = patterns[i];
            List<String> expected = new ArrayList<>();
            for (String t : topics) {
                if (Topics.matches(p, t)) {
                    expected.add(t);
                }
            }
            Inbox g = group.get(i);
            Inbox bc = broadcast.get(i);
            await().atMost(Duration.ofSeconds(10)).until(() -> filtered(g, base).size() >= expected.size()
                    && (bc == null || bc.count() >= expected.size()));
            g.assertStaysAt(g.count(), Duration.ofMillis(300));
            assertThat(filtered(g, base)).as("group on '%s'", p).containsExactlyInAnyOrderElementsOf(expected);
            if (bc != null) {
                assertThat(bc.bodies()).as("broadcast on '%s'", p).containsExactlyInAnyOrderElementsOf(expected);
            }
        }
    }

    private static List<String> filtered(Inbox inbox, String base) {
        List<String> out = new ArrayList<>();
        for (String s : inbox.bodies()) {
            if (s.equals(base) || s.startsWith(base + ".")) {
                out.add(s);
            }
        }
        return out;
    }

    private Broker connect() {
        Broker b = Brokers.create(RabbitMqBrokerCompatibilityTest.options("mapping-" + brokers.size()
                + "-" + Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffL, 36)));
        brokers.add(b);
        b.connect();
        return b;
    }
}
