package dev.omnibus.broker.tck;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A RabbitMQ cluster of the kit's own: {@code size} nodes of the installed {@code rabbitmq-server},
 * each a {@link ServerProcess} with its own node name ({@code omnibus-<port>@localhost}), AMQP and
 * distribution ports on 127.0.0.1, data and log directories, no plugins (so no management or
 * Prometheus listener clashes with the machine's own server), and one Erlang cookie for them all;
 * nodes 2..n are joined to node 1 with {@code rabbitmqctl join_cluster}. The shared server on 5672
 * is never touched. {@link #kill(int)} is {@code kill -9} of a node's Erlang VM, {@link #startAgain(int)}
 * starts it again on the same directories, where it rejoins the cluster by itself.
 *
 * <p>As root the nodes run as user {@code rabbitmq} (through {@code setpriv}), which then owns their
 * directories. The scripts are looked up in {@code OMNIBUS_RABBITMQ_HOME} (default
 * {@code /usr/lib/rabbitmq}, its {@code bin/}). Close the cluster when done: every node is stopped and
 * its directories deleted; a JVM shutdown hook kills any node left running.
 */
public final class LocalRabbitMqCluster implements AutoCloseable {
    /** Where the scripts are: {@code $OMNIBUS_RABBITMQ_HOME/bin}, default {@code /usr/lib/rabbitmq/bin}. */
    public static final String HOME_ENV = "OMNIBUS_RABBITMQ_HOME";

    private final Path root;
    private final String cookie;
    private final List<Node> nodes = new ArrayList<>();

    private LocalRabbitMqCluster(Path root) {
        this.root = root;
        this.cookie = "OMNIBUS" + UUID.randomUUID().toString().replace("-", "").toUpperCase(java.util.Locale.ROOT);
    }

    /** Starts {@code size} nodes and joins them into one cluster; returns once every node accepts AMQP clients. */
    public static LocalRabbitMqCluster start(int size) {
        if (!available()) {
            throw new IllegalStateException("cannot start a RabbitMQ cluster: " + bin("rabbitmq-server") + " is missing; install"
                    + " rabbitmq-server or set " + HOME_ENV + " to the directory that holds bin/rabbitmq-server");
        }
        LocalRabbitMqCluster c = new LocalRabbitMqCluster(ServerProcess.tempDirectory("rabbitmq-cluster"));
        try {
            c.root.toFile().setExecutable(true, false);
            c.root.toFile().setReadable(true, false);
            for (int i = 0; i < size; i++) {
                c.nodes.add(c.newNode(i + 1));
            }
            c.chownToServerUser(c.root);
            for (Node n : c.nodes) {
                n.process.start();
            }
            for (int i = 1; i < size; i++) {
                c.ctl(i + 1, "stop_app");
                c.ctl(i + 1, "join_cluster", c.nodes.get(0).name);
                c.ctl(i + 1, "start_app");
            }
            for (int i = 0; i < size; i++) {
                c.ctl(i + 1, "await_startup");
            }
            return c;
        } catch (RuntimeException e) {
            c.close();
            throw new IllegalStateException("cannot start a RabbitMQ cluster of " + size + " in " + c.root + ": " + e.getMessage(), e);
        }
    }

    /** Whether the fixture finds the RabbitMQ scripts (for skip reasons). */
    public static boolean available() {
        return Files.isExecutable(bin("rabbitmq-server")) && Files.isExecutable(bin("rabbitmqctl"));
    }

    public int size() {
        return nodes.size();
    }

    /** The AMQP URLs of every node (guest/guest), node 1 first: the address list a client is given. */
    public List<String> urls() {
        return nodes.stream().map(n -> n.process.url()).collect(Collectors.toList());
    }

    /** Node {@code i} (1-based): its {@link ServerProcess}. */
    public ServerProcess node(int i) {
        return nodes.get(i - 1).process;
    }

    /** The Erlang node name of node {@code i}, e.g. {@code omnibus-40123@localhost}. */
    public String nodeName(int i) {
        return nodes.get(i - 1).name;
    }

    /** The 1-based index of the node called {@code erlangName}, or -1. */
    public int indexOf(String erlangName) {
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i).name.equals(erlangName)) {
                return i + 1;
            }
        }
        return -1;
    }

    /** {@code kill -9} of node {@code i}'s Erlang VM. */
    public void kill(int i) {
        node(i).kill();
    }

    /** Starts node {@code i} again on its directories; returns once it runs as a cluster member again. */
    public void startAgain(int i) {
        node(i).startAgain();
        ctl(i, "await_startup");
    }

    /**
     * The node that leads quorum queue {@code queue} (or hosts classic queue {@code queue}), asked of
     * any running node; its 1-based index.
     */
    public int leaderOf(String queue) {
        for (int i = 1; i <= nodes.size(); i++) {
            if (!node(i).isRunning()) {
                continue;
            }
            for (String line : ctl(i, "list_queues", "name", "type", "leader", "pid", "-q", "--no-table-headers")) {
                String[] f = line.trim().split("\t");
                if (f.length >= 4 && f[0].equals(queue)) {
                    String node = f[1].equals("quorum") ? f[2] : f[3].replaceAll("^<([^.]+@[^.]+)\\..*$", "$1");
                    return indexOf(node);
                }
            }
            throw new IllegalStateException("no queue '" + queue + "' on the cluster (asked " + nodeName(i) + ")");
        }
        throw new IllegalStateException("no node of the cluster is running");
    }

    /** Runs {@code rabbitmqctl -n <node i> args...} and returns its output lines; fails with the output otherwise. */
    public List<String> ctl(int i, String... args) {
        return cli("rabbitmqctl", i, args);
    }

    /** Runs a RabbitMQ CLI ({@code rabbitmqctl}, {@code rabbitmq-queues}, ...) against node {@code i}. */
    public List<String> cli(String tool, int i, String... args) {
        Node n = nodes.get(i - 1);
        List<String> cmd = new ArrayList<>(List.of(bin(tool).toString(), "-n", n.name));
        cmd.addAll(List.of(args));
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().put("HOME", n.home.toString());
            pb.environment().put("RABBITMQ_CONF_ENV_FILE", n.envFile.toString());
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + " did not finish within 120 s: " + out);
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed (exit " + p.exitValue() + "): " + out.trim());
            }
            return List.of(out.split("\n"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + cmd.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Stops every node (SIGTERM, then SIGKILL) and deletes the cluster's directories. */
    @Override
    public void close() {
        for (Node n : nodes) {
            try {
                n.process.kill();
                n.process.close();
            } catch (RuntimeException e) {
                // go on with the others
            }
        }
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a temporary directory left behind is harmless
        }
    }

    @Override
    public String toString() {
        return "RabbitMQ cluster of " + nodes.size() + " private nodes " + nodes.stream().map(n -> n.name + " 127.0.0.1:"
                + n.process.port()).collect(Collectors.joining(", "));
    }

    private Node newNode(int index) {
        int port = ServerProcess.freePort();
        int distPort = ServerProcess.freePort();
        String name = "omnibus-" + port + "@localhost";
        Path dir = root.resolve("node" + index);
        Path home = dir.resolve("home");
        try {
            Files.createDirectories(home);
            Files.createDirectories(dir.resolve("mnesia"));
            Files.createDirectories(dir.resolve("log"));
            Path cookieFile = home.resolve(".erlang.cookie");
            Files.writeString(cookieFile, cookie);
            Files.setPosixFilePermissions(cookieFile, PosixFilePermissions.fromString("r--------"));
            Files.writeString(dir.resolve("enabled_plugins"), "[].\n");
            Files.writeString(dir.resolve("rabbitmq.conf"), "listeners.tcp.default = 127.0.0.1:" + port + "\n"
                    + "loopback_users = none\n" + "log.file.level = info\n");
            Files.writeString(dir.resolve("rabbitmq-env.conf"), "");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + dir + ": " + e.getMessage(), e);
        }
        List<String> cmd = new ArrayList<>();
        if (isRoot()) {
            // as root the server must run as its own user (as /usr/sbin/rabbitmq-server does), exec'd so the pid is the VM's
            cmd.addAll(List.of("setpriv", "--reuid=rabbitmq", "--regid=rabbitmq", "--init-groups"));
        }
        cmd.add(bin("rabbitmq-server").toString());
        ServerProcess.Builder b = ServerProcess.builder("rabbitmq " + name).command(cmd)
                .url("amqp://guest:guest@127.0.0.1:" + port).port(port).dataDirectory(dir).keepData()
                .startTimeout(Duration.ofSeconds(90))
                // run the VM in place of the script (no signal-forwarding shell), so kill -9 hits the VM itself
                .environment("RUNNING_UNDER_SYSTEMD", "true")
                .environment("HOME", home.toString())
                .environment("RABBITMQ_CONF_ENV_FILE", dir.resolve("rabbitmq-env.conf").toString())
                .environment("RABBITMQ_NODENAME", name)
                .environment("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
                .environment("RABBITMQ_NODE_PORT", Integer.toString(port))
                .environment("RABBITMQ_DIST_PORT", Integer.toString(distPort))
                .environment("RABBITMQ_MNESIA_BASE", dir.resolve("mnesia").toString())
                .environment("RABBITMQ_LOG_BASE", dir.resolve("log").toString())
                .environment("RABBITMQ_CONFIG_FILE", dir.resolve("rabbitmq.conf").toString())
                .environment("RABBITMQ_ENABLED_PLUGINS_FILE", dir.resolve("enabled_plugins").toString())
                .environment("ERL_EPMD_ADDRESS", "127.0.0.1")
                .environment("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-kernel inet_dist_use_interface {127,0,0,1}");
        return new Node(name, b.build(), home, dir.resolve("rabbitmq-env.conf"));
    }

    private void chownToServerUser(Path dir) {
        if (!isRoot()) {
            return;
        }
        try {
            Process p = new ProcessBuilder("chown", "-R", "rabbitmq:rabbitmq", dir.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("chown -R rabbitmq:rabbitmq " + dir + " failed: " + out
                        + "; the rabbitmq user (of the rabbitmq-server package) must exist");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static Path bin(String tool) {
        String home = System.getenv(HOME_ENV);
        return Path.of(home == null || home.isBlank() ? "/usr/lib/rabbitmq" : home.trim(), "bin", tool);
    }

    private static final class Node {
        final String name;
        final ServerProcess process;
        final Path home;
        final Path envFile;

        Node(String name, ServerProcess process, Path home, Path envFile) {
            this.name = name;
            this.process = process;
            this.home = home;
            this.envFile = envFile;
        }
    }
}
