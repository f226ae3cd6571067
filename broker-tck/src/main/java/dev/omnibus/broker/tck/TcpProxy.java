package dev.omnibus.broker.tck;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * A TCP proxy inside the test JVM, on a free port of 127.0.0.1, forwarding every connection to an
 * upstream address. {@link #cut()} closes every connection and, until {@link #restore()}, closes
 * each new one as soon as it is accepted, so clients see a broken network rather than a refused
 * port; {@link #restore()} forwards again. Two threads per connection: the kit opens few.
 */
public final class TcpProxy implements AutoCloseable {
    private final ServerSocket server;
    private final Supplier<InetSocketAddress> upstream;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean cut;
    private volatile boolean closed;
    private volatile int accepted;

    private TcpProxy(int listenPort, Supplier<InetSocketAddress> upstream) throws IOException {
        this.upstream = upstream;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), listenPort));
        Thread acceptor = new Thread(this::acceptLoop, "tcp-proxy-accept-" + port());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A proxy to {@code host:port}. */
    public static TcpProxy to(String host, int port) {
        InetSocketAddress target = new InetSocketAddress(host, port);
        return to(() -> target);
    }

    /** A proxy to whatever address {@code upstream} names when a connection arrives (a container's re-read port, say). */
    public static TcpProxy to(Supplier<InetSocketAddress> upstream) {
        try {
            return new TcpProxy(0, upstream);
        } catch (IOException e) {
            throw new IllegalStateException("cannot open a proxy port on 127.0.0.1: " + e.getMessage(), e);
        }
    }

    /**
     * A proxy to {@code host:port} listening on the given port of 127.0.0.1 rather than a free one: for
     * a server that advertises the proxy's address (a Kafka listener), so a new proxy must take the
     * same port again once the previous one is closed. Fails if the port is taken.
     */
    public static TcpProxy listeningOn(int listenPort, String host, int port) {
        if (listenPort <= 0 || listenPort > 65_535) {
            throw new IllegalArgumentException("listenPort must be 1 to 65535, not " + listenPort);
        }
        InetSocketAddress target = new InetSocketAddress(host, port);
        try {
            return new TcpProxy(listenPort, () -> target);
        } catch (IOException e) {
            throw new IllegalStateException("cannot open proxy port 127.0.0.1:" + listenPort + " (close the previous proxy on it first): "
                    + e.getMessage(), e);
        }
    }

    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Closes every open connection and refuses (accepts, then closes) new ones until {@link #restore()}. */
    public void cut() {
        cut = true;
        for (Socket s : open) {
            closeQuietly(s);
        }
    }

    /** Forwards new connections again. */
    public void restore() {
        cut = false;
    }

    public boolean isCut() {
        return cut;
    }

    /** Client connections forwarded right now. */
    public int openConnections() {
        return open.size() / 2;
    }

    /** Client connections accepted since the proxy started (also those refused during a cut). */
    public int acceptedConnections() {
        return accepted;
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                continue;
            }
            accepted++;
            if (cut) {
                closeQuietly(client);
                continue;
            }
            Socket target = new Socket();
            try {
                target.connect(upstream.get(), 5_000);
            } catch (IOException e) {
                closeQuietly(client);
                closeQuietly(target);
                continue;
            }
            open.add(client);
            open.add(target);
            pump(client, target);
            pump(target, client);
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (SocketException e) {
                // cut, or the peer went away
            } catch (IOException e) {
                // same: the connection is over either way
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "tcp-proxy-" + port());
        t.setDaemon(true);
        t.start();
    }

    private void closeQuietly(Socket s) {
        open.remove(s);
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        cut();
    }

    @Override
    public String toString() {
        return "TcpProxy[127.0.0.1:" + port() + (cut ? ", cut" : "") + "]";
    }
}
