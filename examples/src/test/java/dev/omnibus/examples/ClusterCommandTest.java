package dev.omnibus.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.omnibus.broker.tck.BrokerServers;
import dev.omnibus.examples.cli.OmnibusCli;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.api.ConsumerInfo;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** {@code omnibus cluster} with real child JVMs on the local NATS and RabbitMQ. */
class ClusterCommandTest extends CapturedStdout {
    private int cluster(String url, String... extra) {
        String[] args = new String[6 + extra.length];
        args[0] = "cluster";
        args[1] = "--broker";
        args[2] = url;
        args[3] = "--orders";
        args[4] = "200";
        args[5] = "--rate=400";
        System.arraycopy(extra, 0, args, 6, extra.length);
        return OmnibusCli.run(args, outWriter(), errWriter());
    }

    @Test
    @DisplayName("on NATS: every order handled exactly once by the group and audited once, across processes")
    void natsExactlyOnceWithoutFaults() {
        assertThat(cluster(BrokerServers.natsUrl())).as(out()).isZero();
        assertThat(out()).contains("handled by the inventory group: 200 of 200 unique, 0 duplicate deliveries, 0 lost")
                .contains("audited: 200 of 200, 0 duplicates").contains("200 priced");
    }

    @Test
    @DisplayName("on RabbitMQ with --kill-one: a worker is killed mid-run and nothing is lost")
    void rabbitKillOne() {
        assertThat(cluster(BrokerServers.rabbitMqUrl(), "--kill-one")).as(out()).isZero();
        assertThat(out()).contains("killed worker-1 (kill -9)").contains("200 of 200 unique").contains("0 lost")
                .contains("RESULT: every order handled and audited");
    }

    @Test
    @DisplayName("on NATS JetStream with --kill-one: nothing is lost")
    void jetStreamKillOne() throws Exception {
        String stream = "omnibus-cluster-test-" + Long.toString(System.nanoTime() % 1_000_000, 36);
        String url = BrokerServers.natsUrl() + "?jetstream=true&ackWait=PT3S&stream=" + stream;
        try {
            assertThat(cluster(url, "--kill-one")).as(out()).isZero();
            assertThat(out()).contains("killed worker-1 (kill -9)").contains("200 of 200 unique").contains("0 lost");
        } finally {
            try (Connection nats = Nats.connect(BrokerServers.natsUrl())) {
                // what the server says of each consumer (ack pending, redelivered, ack floor), in the test's output:
                // after a lost order it tells whether the server still holds it unacked or took it as settled
                for (ConsumerInfo c : nats.jetStreamManagement().getConsumers(stream)) {
                    System.err.printf("jetStreamKillOne: consumer %s: delivered=%s ackFloor=%s ackPending=%d redelivered=%d pending=%d"
                            + " waiting=%d%n", c.getName(), c.getDelivered(), c.getAckFloor(), c.getNumAckPending(),
                            c.getRedelivered(), c.getNumPending(), c.getNumWaiting());
                }
                nats.jetStreamManagement().deleteStream(stream);
            }
        }
    }

    @Test
    @DisplayName("the in-memory broker is refused with a clear message")
    void memoryRefused() {
        assertThat(cluster("memory:")).isEqualTo(1);
        assertThat(err.toString()).contains("in-process").contains("nats://");
    }
}
