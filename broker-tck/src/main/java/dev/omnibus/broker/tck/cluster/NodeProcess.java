package dev.omnibus.broker.tck.cluster;

import dev.omnibus.broker.BrokerOptions;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A {@link KitNode} running in a child JVM started from this JVM's {@code java.home} and class
 * path. The node's stdout is parsed as it comes: {@link #facts(String)} lists the ids of
 * {@code GOT <kind> <id>} / {@code SENT <id>} lines; its stderr goes to a log file named in
 * failures.
 */
public final class NodeProcess implements AutoCloseable {
    private final String nodeId;
    private final Process process;
    private final Path log;
    private final Map<String, List<String>> facts = new ConcurrentHashMap<>();
    private final List<String> lines = new CopyOnWriteArrayList<>();

    private NodeProcess(String nodeId, Process process, Path log) {
        this.nodeId = nodeId;
        this.process = process;
        this.log = log;
        Thread reader = new Thread(this::read, "kit-node-" + nodeId);
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts a node connected with {@code options} (URL, credentials, timeouts, properties) in the given role. */
    public static NodeProcess start(BrokerOptions options, String nodeId, String... roleArgs) {
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        // small, quick-starting JVMs: the machine may have two cores for the whole build
        cmd.addAll(List.of("-Xmx128m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto"));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(KitNode.class.getName());
        cmd.add(nodeId);
        cmd.addAll(List.of(roleArgs));
        try {
            Path log = Files.createTempFile("omnibus-kit-node-" + nodeId + "-", ".log");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(log.toFile());
            Map<String, String> env = pb.environment();
            env.put("OMNIBUS_KIT_URL", String.join(",", options.urls()));
            if (options.username() != null) {
                env.put("OMNIBUS_KIT_USER", options.username());
                env.put("OMNIBUS_KIT_PASSWORD", options.password() == null ? "" : options.password());
            }
            env.put("OMNIBUS_KIT_PROPERTIES", options.properties().entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining("\n")));
            env.put("OMNIBUS_KIT_TIMEOUTS", options.connectTimeout() + "," + options.publishTimeout() + "," + options.shutdownTimeout());
            return new NodeProcess(nodeId, pb.start(), log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start a kit node JVM: " + e.getMessage(), e);
        }
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                lines.add(line);
                String[] parts = line.split(" ", 3);
                if (parts[0].equals("GOT") && parts.length == 3) {
                    facts.computeIfAbsent(parts[1], k -> new CopyOnWriteArrayList<>()).add(parts[2]);
                } else if (parts.length >= 2) {
                    facts.computeIfAbsent(parts[0], k -> new CopyOnWriteArrayList<>()).add(line.substring(parts[0].length() + 1));
                }
            }
        } catch (IOException e) {
            // the process is gone
        }
    }

    public String nodeId() {
        return nodeId;
    }

    /** Ids (or texts) reported as {@code GOT <kind> ...}, {@code SENT ...}, {@code REPLY ...} or {@code FAILED ...}, in order. */
    public List<String> facts(String kind) {
        return List.copyOf(facts.getOrDefault(kind, List.of()));
    }

    public int count(String kind) {
        return facts.getOrDefault(kind, List.of()).size();
    }

    public boolean said(String line) {
        return lines.contains(line);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for READY; fails with the node's log when it exits or takes longer than {@code timeout}. */
    public NodeProcess awaitReady(Duration timeout) {
        awaitLine("READY", timeout);
        return this;
    }

    /** Waits until the node printed {@code line}. */
    public void awaitLine(String line, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!said(line)) {
            if (!process.isAlive() && !said(line)) {
                pauseBriefly();
                if (said(line)) {
                    return;
                }
                throw new IllegalStateException("kit node " + nodeId + " exited with " + process.exitValue()
                        + " before printing " + line + "; its log:\n" + logTail());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("kit node " + nodeId + " did not print " + line + " within " + timeout
                        + "; its log:\n" + logTail());
            }
            pauseBriefly();
        }
    }

    /** kill -9: the node gets no chance to ack, close or say goodbye. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Asks the node to disconnect and exit (closes its stdin); kills it if it has not exited within {@code timeout}. */
    public void stop(Duration timeout) {
        try {
            process.getOutputStream().close();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                kill();
            }
        } catch (IOException e) {
            kill();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill();
        }
    }

    /** The last lines of the node's stderr, for failure messages. */
    public String logTail() {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - 30), all.size()));
        } catch (IOException e) {
            return "(log " + log + " unreadable: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            stop(Duration.ofSeconds(20));
        }
        try {
            Files.deleteIfExists(log);
        } catch (IOException e) {
            // a temp file left behind is harmless
        }
    }

    private static void pauseBriefly() {
        try {
            Thread.sleep(20); // polling the child's output, not synchronising threads
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "kit node " + nodeId + (process.isAlive() ? " (running)" : " (exited)");
    }
}
