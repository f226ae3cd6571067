package dev.omnibus.broker.rabbitmq;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.omnibus.broker.tck.BrokerServers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** Test access to the server: queue listing and connection closing through rabbitmqctl, deletes through amqp-client. */
final class RabbitCtl {
    private RabbitCtl() {
    }

    /** Names of every queue of the default vhost. */
    static List<String> queues() {
        return run("list_queues", "name", "-q", "--no-table-headers").stream()
                .map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toList());
    }

    /** Names of the durable queues of the default vhost. */
    static List<String> durableQueues() {
        return run("list_queues", "name", "durable", "-q", "--no-table-headers").stream()
                .map(String::trim).filter(s -> s.endsWith("\ttrue") || s.endsWith(" true"))
                .map(s -> s.substring(0, s.lastIndexOf("true")).trim()).collect(Collectors.toList());
    }

    /** Names of every exchange of the default vhost. */
    static List<String> exchanges() {
        return run("list_exchanges", "name", "-q", "--no-table-headers").stream()
                .map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toList());
    }

    /** The type (classic, quorum, stream) of queue {@code name}. */
    static String queueType(String name) {
        for (String line : run("list_queues", "name", "type", "-q", "--no-table-headers")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 2 && f[0].equals(name)) {
                return f[1];
            }
        }
        throw new IllegalStateException("no queue " + name);
    }

    static List<String> queuesStartingWith(String prefix) {
        return queues().stream().filter(q -> q.startsWith(prefix)).sorted().collect(Collectors.toList());
    }

    /** Closes (server side) the connection whose client-provided name is {@code omnibus-<nodeId>}. */
    static void closeConnectionOf(String nodeId) {
        String name = "\"omnibus-" + nodeId + "\"";
        for (String line : run("list_connections", "pid", "client_properties", "-q", "--no-table-headers")) {
            if (line.contains(name + "}") || line.contains(name + ",") || line.contains(name)) {
                String pid = line.trim().split("\\s+", 2)[0];
                run("close_connection", pid, "omnibus test: simulated connection loss");
                return;
            }
        }
        throw new IllegalStateException("no connection named omnibus-" + nodeId);
    }

    /** Deletes queues and exchanges if they exist. */
    static void delete(List<String> queues, List<String> exchanges) throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(BrokerServers.rabbitMqUrl());
        try (Connection c = f.newConnection("omnibus-test-cleanup"); Channel ch = c.createChannel()) {
            for (String q : queues) {
                ch.queueDelete(q);
            }
            for (String x : exchanges) {
                ch.exchangeDelete(x);
            }
        }
    }

    private static List<String> run(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("rabbitmqctl");
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
            }
            return List.of(out.split("\n"));
        } catch (IOException e) {
            throw new IllegalStateException("cannot run rabbitmqctl (needed to count queues): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
