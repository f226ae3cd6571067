package dev.omnibus.broker.tck;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A server the kit did not start (an environment URL, a default local port, a server of your own),
 * restarted by a shell command where one is given: {@code restartCommand} must stop the server and
 * start it again, keeping its data; {@code startCommand}, if given, starts it when a failed test
 * left it down. For any backend:
 *
 * <pre>{@code
 * BrokerServer redis = ExternalServer.of("redis://127.0.0.1:6379", "local Redis",
 *         "redis-cli shutdown nosave; redis-server --daemonize yes", "redis-server --daemonize yes");
 * }</pre>
 */
public final class ExternalServer implements BrokerServer {
    private final String url;
    private final String what;
    private final String restartCommand;
    private final String startCommand;

    /**
     * @param url            the URL clients use
     * @param what           what the server is, for reports and skip reasons
     * @param restartCommand a {@code sh -c} command that restarts it, or null (the restart tests are then skipped)
     * @param startCommand   a {@code sh -c} command that starts it when it is down, or null
     */
    public static ExternalServer of(String url, String what, String restartCommand, String startCommand) {
        return new ExternalServer(url, what, restartCommand, startCommand);
    }

    ExternalServer(String url, String what, String restartCommand, String startCommand) {
        this.url = url;
        this.what = what;
        this.restartCommand = restartCommand;
        this.startCommand = startCommand;
    }

    @Override
    public String url() {
        return url;
    }

    @Override
    public String description() {
        return what + " at " + BrokerServers.hostPort(url)
                + (restartCommand == null ? "" : ", restarted with `" + restartCommand + "`");
    }

    @Override
    public boolean canRestart() {
        return restartCommand != null;
    }

    @Override
    public String whyNoRestart() {
        return canRestart() ? "" : what + " at " + BrokerServers.hostPort(url) + " has no restart command; set "
                + BrokerServers.restartVariableFor(url) + " to a shell command that restarts it";
    }

    @Override
    public void restart() {
        if (restartCommand == null) {
            throw new IllegalStateException(whyNoRestart());
        }
        try {
            run(restartCommand, Duration.ofMinutes(2));
        } finally {
            ensureRunning();
        }
        awaitAccepting(Duration.ofMinutes(1));
    }

    @Override
    public void ensureRunning() {
        if (startCommand != null && !accepts(url)) {
            run(startCommand, Duration.ofMinutes(2));
            awaitAccepting(Duration.ofMinutes(1));
        }
    }

    private void awaitAccepting(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!accepts(url)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(description() + " does not accept connections " + timeout + " after its restart");
            }
            try {
                Thread.sleep(100); // polling a port, not synchronising threads
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    static boolean accepts(String url) {
        URI uri = URI.create(url.split(",")[0].trim());
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(uri.getHost(), BrokerServers.portOf(uri)), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static String run(String command, Duration timeout) {
        try {
            Process p = new ProcessBuilder(List.of("sh", "-c", command)).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("`" + command + "` did not finish within " + timeout);
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IllegalStateException("`" + command + "` failed with exit code " + p.exitValue() + ": " + text.trim());
            }
            return text;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run `" + command + "`: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running `" + command + "`", e);
        }
    }

    @Override
    public String toString() {
        return description();
    }
}
