package dev.omnibus.spring.boot;

import org.springframework.boot.autoconfigure.service.connection.ConnectionDetails;

/**
 * Where the auto-configured broker connects, when a bean of this type exists: it wins over
 * {@code omnibus.broker.url}, {@code username} and {@code password}. Define one in a test to point
 * the application at a Testcontainers broker.
 */
public interface OmnibusConnectionDetails extends ConnectionDetails {
    /** The broker URL, e.g. {@code nats://127.0.0.1:49153}. */
    String url();

    /** The user name, or null to use the URL's. */
    default String username() {
        return null;
    }

    /** The password, or null to use the URL's. */
    default String password() {
        return null;
    }
}
