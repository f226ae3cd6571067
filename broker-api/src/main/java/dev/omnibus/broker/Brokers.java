package dev.omnibus.broker;

import dev.omnibus.broker.spi.BackendProperty;
import dev.omnibus.broker.spi.BrokerProvider;
import dev.omnibus.broker.spi.PropertySet;
import dev.omnibus.broker.support.Redaction;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Finds a backend on the classpath and creates brokers, as {@code java.sql.DriverManager} does
 * for JDBC drivers: the URL scheme chooses the provider.
 *
 * <p>{@link #fromEnvironment()} reads the URL from system property {@value #URL_PROPERTY} or,
 * when that is unset, environment variable {@value #URL_ENV}. Without either it uses the only
 * provider on the classpath with its default URL; none or several is an error that names every
 * provider found and how to choose.
 */
public final class Brokers {
    /** Environment variable holding the broker URL. */
    public static final String URL_ENV = "OMNIBUS_BROKER_URL";
    /** System property holding the broker URL; wins over {@link #URL_ENV}. */
    public static final String URL_PROPERTY = "omnibus.broker.url";

    private Brokers() {
    }

    /** A new disconnected broker for {@code url}, chosen by the URL's scheme. */
    public static Broker create(String url) {
        Objects.requireNonNull(url, "broker URL must not be null");
        return create(BrokerOptions.of(url));
    }

    /**
     * A new disconnected broker for {@code options}, chosen by the scheme of its first URL. Every
     * other URL must belong to the same provider, and every property must be one the provider
     * declares ({@link BrokerProvider#properties()}); otherwise an IllegalArgumentException says which.
     */
    public static Broker create(BrokerOptions options) {
        Objects.requireNonNull(options, "options must not be null");
        BrokerProvider p = provider(options.scheme(), options.redactedUrls());
        for (String url : options.urls()) {
            String scheme = BrokerOptions.schemeOf(url);
            if (!p.schemes().contains(scheme)) {
                BrokerProvider other = provider(scheme, url);
                throw new IllegalArgumentException("all URLs of one broker must belong to one backend, got '"
                        + Redaction.url(options.url()) + "' (" + p.name() + ") and '" + Redaction.url(url) + "' (" + other.name() + ")");
            }
        }
        List<BackendProperty<?>> declared = p.properties();
        if (!declared.isEmpty()) {
            PropertySet.of(declared).check(options, p.name());
        }
        return p.create(options);
    }

    /** A new disconnected broker configured from the environment; see the class description. */
    public static Broker fromEnvironment() {
        String url = configuredUrl();
        if (url != null) {
            return create(url);
        }
        List<BrokerProvider> all = providers();
        if (all.size() == 1) {
            return all.get(0).create(BrokerOptions.of(all.get(0).defaultUrl()));
        }
        if (all.isEmpty()) {
            throw new ProviderNotFoundException("no broker provider on the classpath; add a backend such as "
                    + "dev.omnibus:broker-memory, broker-nats or broker-rabbitmq");
        }
        throw new ProviderNotFoundException("several broker providers on the classpath (" + describe(all)
                + ") and no URL configured; set environment variable " + URL_ENV + " or system property "
                + URL_PROPERTY + " to one of their URLs, e.g. " + all.get(0).defaultUrl());
    }

    /** The configured URL: system property first, then environment variable; null when neither is set. */
    public static String configuredUrl() {
        String url = System.getProperty(URL_PROPERTY);
        if (url == null || url.isBlank()) {
            url = System.getenv(URL_ENV);
        }
        return url == null || url.isBlank() ? null : url.trim();
    }

    /** Every provider found by {@link ServiceLoader}, sorted by name. */
    public static List<BrokerProvider> providers() {
        List<BrokerProvider> found = new ArrayList<>();
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        ServiceLoader.load(BrokerProvider.class, cl != null ? cl : Brokers.class.getClassLoader()).forEach(found::add);
        found.sort((a, b) -> a.name().compareTo(b.name()));
        return found;
    }

    /** The provider accepting {@code scheme}. */
    public static BrokerProvider provider(String scheme) {
        return provider(scheme.toLowerCase(), scheme + ":");
    }

    private static BrokerProvider provider(String scheme, String shownUrl) {
        List<BrokerProvider> all = providers();
        List<BrokerProvider> matching = all.stream().filter(p -> p.schemes().contains(scheme)).collect(Collectors.toList());
        if (matching.size() == 1) {
            return matching.get(0);
        }
        if (matching.isEmpty()) {
            TreeSet<String> schemes = new TreeSet<>();
            all.forEach(p -> schemes.addAll(p.schemes()));
            throw new ProviderNotFoundException("no broker provider accepts URL '" + Redaction.url(shownUrl)
                    + "' (scheme '" + scheme + "'); schemes on the classpath: "
                    + (schemes.isEmpty() ? "none" : String.join(", ", schemes))
                    + (all.isEmpty() ? "; add a backend such as dev.omnibus:broker-memory" : " (" + describe(all) + ")"));
        }
        throw new ProviderNotFoundException("several broker providers accept scheme '" + scheme + "': " + describe(matching)
                + "; keep only one of them on the classpath");
    }

    private static String describe(List<BrokerProvider> providers) {
        return providers.stream()
                .map(p -> p.name() + " [" + String.join(", ", new TreeSet<>(p.schemes())) + "] from " + p.getClass().getName())
                .collect(Collectors.joining("; "));
    }
}
