package dev.omnibus.broker.tck;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;

/**
 * Where the kit finds the servers the network backends test against: the URL in
 * {@code OMNIBUS_RABBITMQ_URL} / {@code OMNIBUS_NATS_URL} when set, else a server listening on the
 * default local port. {@link #requireListening(String)} turns "nothing there" into a failure
 * that says how to provide a server.
 */
public final class BrokerServers {
    public static final String RABBITMQ_URL_ENV = "OMNIBUS_RABBITMQ_URL";
    public static final String NATS_URL_ENV = "OMNIBUS_NATS_URL";
    public static final String DEFAULT_RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672";
    public static final String DEFAULT_NATS_URL = "nats://127.0.0.1:4222";

    private BrokerServers() {
    }

    /** The RabbitMQ URL for tests. */
    public static String rabbitMqUrl() {
        return env(RABBITMQ_URL_ENV, DEFAULT_RABBITMQ_URL);
    }

    /** The NATS URL for tests. */
    public static String natsUrl() {
        return env(NATS_URL_ENV, DEFAULT_NATS_URL);
    }

    /**
     * Returns {@code url} if something accepts TCP connections at its host and port, else throws
     * an {@link IllegalStateException} explaining how to provide a server.
     */
    public static String requireListening(String url) {
        URI uri = URI.create(url.split(",")[0].trim());
        int port = uri.getPort() > 0 ? uri.getPort() : defaultPort(uri.getScheme());
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(uri.getHost(), port), 2000);
            return url;
        } catch (IOException e) {
            throw new IllegalStateException("no " + uri.getScheme() + " server at " + uri.getHost() + ":" + port
                    + " for the compatibility kit; start one there, or set " + RABBITMQ_URL_ENV + " / " + NATS_URL_ENV
                    + " to the URL of a server you have");
        }
    }

    private static int defaultPort(String scheme) {
        switch (scheme) {
            case "amqp": return 5672;
            case "amqps": return 5671;
            default: return 4222;
        }
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v.trim();
    }
}
