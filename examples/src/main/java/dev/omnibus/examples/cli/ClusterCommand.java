package dev.omnibus.examples.cli;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Capability;
import dev.omnibus.examples.cluster.ClusterNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code omnibus cluster}: an order publisher, N inventory workers in one queue group, an audit
 * process subscribed by broadcast and a pricing service answering requests, each its own JVM.
 * Prints a live line per second and a final tally proving every order was handled and audited.
 * When the run stalls (everything published, orders missing, none handled for {@link #STALL}) it
 * says which orders are missing and asks every live worker and the audit process for its state
 * (handler calls started and finished, the order in hand, the subscription's buffer, drains and
 * unsettled deliveries), so a lost order shows where it sits.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = "Run a small system across processes and prove every order was handled once and audited once.")
final class ClusterCommand implements Callable<Integer> {
    /** No order handled for this long, with everything published and orders missing: the run stalled. */
    static final Duration STALL = Duration.ofSeconds(10);

    @Mixin
    BrokerOption broker;

    @Option(names = "--workers", defaultValue = "3", description = "Inventory workers in the queue group (default ${DEFAULT-VALUE})")
    int workers;

    @Option(names = "--orders", defaultValue = "600", description = "Orders to publish (default ${DEFAULT-VALUE})")
    int orders;

    @Option(names = "--rate", defaultValue = "200", description = "Orders per second (default ${DEFAULT-VALUE})")
    int rate;

    @Option(names = "--kill-one", description = "kill -9 one worker a third of the way through")
    boolean killOne;

    @Option(names = "--timeout", defaultValue = "PT2M", description = "Give up waiting for deliveries after this (default ${DEFAULT-VALUE})")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        String url = broker.resolvedUrl();
        Set<Capability> caps;
        String name;
        Broker probe = Brokers.create(url);
        caps = probe.capabilities();
        name = probe.name();
        if (!caps.contains(Capability.CROSS_PROCESS)) {
            throw new IllegalArgumentException("the cluster runs separate JVMs, but the " + name
                    + " broker is in-process (no CROSS_PROCESS); use --broker nats://127.0.0.1:4222 or amqp://guest:guest@127.0.0.1:5672");
        }
        String prefix = "cluster" + Long.toString(System.nanoTime() % 10_000_000, 36);
        Tally tally = new Tally();
        List<Node> nodes = new ArrayList<>();
        try {
            nodes.add(Node.start("pricing", url, prefix, tally));
            nodes.add(Node.start("audit", url, prefix, tally));
            for (int i = 1; i <= workers; i++) {
                nodes.add(Node.start("worker-" + i, url, prefix, tally));
            }
            awaitReady(nodes, tally, Duration.ofSeconds(60));
            System.out.printf("cluster on %s (%s): %d workers in group %s-inventory, audit, pricing; publishing %d orders at %d/s%n",
                    name, probe.address(), workers, prefix, orders, rate);
            Node publisher = Node.start("publisher", url, prefix, tally, Integer.toString(orders), Integer.toString(rate));
            nodes.add(publisher);
            Node victim = killOne ? nodes.get(2) : null;
            long start = System.nanoTime();
            long deadline = start + timeout.toNanos();
            boolean acknowledges = caps.contains(Capability.ACKNOWLEDGEMENT);
            int lastHandled = -1;
            long lastProgress = System.nanoTime();
            boolean stallReported = false;
            int ticks = 0;
            while (System.nanoTime() < deadline) {
                if (victim != null && tally.sent.get() >= orders / 3) {
                    victim.process.destroyForcibly();
                    System.out.printf("killed %s (kill -9) after %d orders%n", victim.name, tally.sent.get());
                    victim = null; // once: the process may look alive until the kill is done
                }
                if (++ticks % 10 == 0) {
                    tally.printLive(nodes, start);
                }
                if (tally.published && tally.handled.size() == orders && tally.audited.size() == orders) {
                    break;
                }
                if (tally.handled.size() != lastHandled) {
                    lastHandled = tally.handled.size();
                    lastProgress = System.nanoTime();
                } else if (!acknowledges && tally.published && tally.audited.size() == orders
                        && System.nanoTime() - lastProgress > TimeUnit.SECONDS.toNanos(3)) {
                    break; // nothing will be redelivered by a broker that does not acknowledge
                } else if (acknowledges && !stallReported && tally.published && System.nanoTime() - lastProgress > STALL.toNanos()) {
                    stallReported = true;
                    tally.reportStall(nodes, orders);
                }
                TimeUnit.MILLISECONDS.sleep(100);
            }
            tally.printLive(nodes, start);
        } finally {
            for (Node n : nodes) {
                n.stop();
            }
        }
        return tally.printFinal(orders, killOne, caps.contains(Capability.ACKNOWLEDGEMENT)) ? 0 : 1;
    }

    private static void awaitReady(List<Node> nodes, Tally tally, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (tally.ready.get() < nodes.size()) {
            for (Node n : nodes) {
                if (!n.process.isAlive()) {
                    throw new IllegalStateException(n.name + " exited with code " + n.process.exitValue() + " before it was ready");
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the cluster's processes were not ready within " + max);
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
    }

    /** What the processes reported, by order id. */
    static final class Tally {
        final AtomicInteger ready = new AtomicInteger();
        final AtomicInteger sent = new AtomicInteger();
        final Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
        final Map<String, AtomicInteger> audited = new ConcurrentHashMap<>();
        final AtomicInteger priced = new AtomicInteger();
        volatile boolean published;

        void accept(Node node, String line) {
            if (line.equals("READY")) {
                ready.incrementAndGet();
            } else if (line.startsWith("SENT ")) {
                sent.incrementAndGet();
            } else if (line.startsWith("HANDLED ")) {
                handled.computeIfAbsent(line.substring(8), k -> new AtomicInteger()).incrementAndGet();
                node.count.incrementAndGet();
            } else if (line.startsWith("AUDITED ")) {
                audited.computeIfAbsent(line.substring(8), k -> new AtomicInteger()).incrementAndGet();
                node.count.incrementAndGet();
            } else if (line.startsWith("PRICED ")) {
                priced.incrementAndGet();
                node.count.incrementAndGet();
            } else if (line.startsWith("PUBLISHED ")) {
                published = true;
            } else if (line.startsWith("STATUS ")) {
                System.out.printf("  [%s] %s%n", node.name, line.substring(7));
            }
        }

        /** The order ids of {@code 1..orders} not in {@code seen}, at most 20 of them named. */
        static String missing(Map<String, AtomicInteger> seen, int orders) {
            List<String> ids = new ArrayList<>();
            int n = 0;
            for (int i = 1; i <= orders; i++) {
                if (!seen.containsKey("order-" + i) && n++ < 20) {
                    ids.add("order-" + i);
                }
            }
            return n + " " + ids + (n > 20 ? "..." : "");
        }

        /** Names the missing orders and asks the live workers and the audit process for their state (answers print as they come). */
        void reportStall(List<Node> nodes, int orders) {
            System.out.printf("stalled: no order handled for %ds; missing from the inventory group: %s; not audited: %s; asking the"
                    + " processes for their state%n", STALL.toSeconds(), missing(handled, orders), missing(audited, orders));
            for (Node n : nodes) {
                if ((n.name.startsWith("worker") || n.name.equals("audit")) && n.process.isAlive()) {
                    n.send("status");
                }
            }
        }

        void printLive(List<Node> nodes, long start) {
            double secs = Math.max(0.001, (System.nanoTime() - start) / 1e9);
            StringBuilder b = new StringBuilder(String.format("t=%4.1fs sent=%d", secs, sent.get()));
            for (Node n : nodes) {
                if (!n.name.equals("publisher")) {
                    b.append(String.format(" | %s %d (%.0f/s)%s", n.name, n.count.get(), n.count.get() / secs,
                            n.process.isAlive() ? "" : " dead"));
                }
            }
            System.out.println(b);
        }

        boolean printFinal(int orders, boolean killed, boolean acknowledges) {
            long duplicates = handled.values().stream().mapToInt(AtomicInteger::get).filter(c -> c > 1).map(c -> c - 1).sum();
            long auditDuplicates = audited.values().stream().mapToInt(AtomicInteger::get).filter(c -> c > 1).map(c -> c - 1).sum();
            int lost = orders - handled.size();
            int unaudited = orders - audited.size();
            System.out.println();
            System.out.printf("tally: %d orders sent, %d priced%n", sent.get(), priced.get());
            System.out.printf("       handled by the inventory group: %d of %d unique, %d duplicate deliveries, %d lost%n",
                    handled.size(), orders, duplicates, lost);
            System.out.printf("       audited: %d of %d, %d duplicates%n", audited.size(), orders, auditDuplicates);
            if (lost > 0) {
                System.out.printf("       missing from the inventory group: %s%n", missing(handled, orders));
            }
            if (unaudited > 0) {
                System.out.printf("       not audited: %s%n", missing(audited, orders));
            }
            boolean ok = lost == 0 && unaudited == 0 && auditDuplicates == 0 && (killed || duplicates == 0);
            if (killed && duplicates > 0) {
                System.out.println("       (duplicates are the killed worker's unacknowledged orders, redelivered: at-least-once)");
            }
            if (ok) {
                System.out.println("RESULT: every order handled and audited");
            } else if (killed && !acknowledges && unaudited == 0 && auditDuplicates == 0) {
                System.out.println("RESULT: every order audited; " + lost + " orders died with the killed worker: this broker "
                        + "does not declare ACKNOWLEDGEMENT, so what a worker holds when it is killed is lost (as documented)");
                ok = true;
            } else {
                System.out.println("RESULT: orders went missing");
            }
            return ok;
        }
    }

    /** A child JVM running {@link ClusterNode}. */
    static final class Node {
        final String name;
        final Process process;
        final AtomicInteger count = new AtomicInteger();
        private final Thread reader;
        private Writer stdin;

        private Node(String name, Process process, Tally tally) {
            this.name = name;
            this.process = process;
            this.reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        tally.accept(this, line);
                    }
                } catch (IOException e) {
                    // the process died (e.g. killed on purpose): its last lines are what it reported
                }
            }, "cluster-" + name);
            reader.setDaemon(true);
            reader.start();
        }

        static Node start(String name, String url, String prefix, Tally tally, String... extra) throws IOException {
            String role = name.startsWith("worker") ? "worker" : name;
            List<String> cmd = new ArrayList<>(List.of(javaBinary(), "-Xmx128m", "-XX:TieredStopAtLevel=1",
                    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
                    ClusterNode.class.getName(), role, url, prefix + "-" + name, prefix));
            cmd.addAll(List.of(extra));
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            return new Node(name, p, tally);
        }

        /** Writes one line to the process's stdin ({@code status}, {@code stop}). */
        synchronized void send(String line) {
            try {
                if (stdin == null) {
                    stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
                }
                stdin.write(line + "\n");
                stdin.flush();
            } catch (IOException e) {
                // already gone
            }
        }

        void stop() throws InterruptedException {
            if (process.isAlive()) {
                send("stop");
                synchronized (this) {
                    try {
                        if (stdin != null) {
                            stdin.close();
                        }
                    } catch (IOException e) {
                        // already gone
                    }
                }
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
            reader.join(5000);
        }

        private static String javaBinary() {
            Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
            return java.toString();
        }
    }
}
