package dev.omnibus.broker.kafka;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the topics Omnibus uses through {@link Admin}, with the {@code partitions} and
 * {@code replicationFactor} properties, never relying on the cluster's auto-create; remembers which
 * exist so that only a topic's first publish or subscribe asks the cluster.
 */
final class TopicAdmin {
    private static final Logger LOG = LoggerFactory.getLogger(TopicAdmin.class);

    private final Admin admin;
    private final KafkaSettings settings;
    private static final CompletableFuture<Void> EXISTS = CompletableFuture.completedFuture(null);

    private final Map<String, CompletableFuture<Boolean>> known = new ConcurrentHashMap<>();
    private final java.util.function.Consumer<String> onCreated;

    TopicAdmin(Admin admin, KafkaSettings settings, java.util.function.Consumer<String> onCreated) {
        this.admin = admin;
        this.settings = settings;
        this.onCreated = onCreated;
    }

    /** Completes once {@code topic} exists (created now or before); a failure is forgotten so the next call asks again. */
    CompletableFuture<Void> ensure(String topic) {
        return ensure(topic, settings.partitions(), Map.of());
    }

    CompletableFuture<Void> ensure(String topic, int partitions, Map<String, String> configs) {
        CompletableFuture<Boolean> f = known.get(topic);
        if (f != null && f.isDone() && !f.isCompletedExceptionally()) {
            return EXISTS; // the per-publish path: no future made
        }
        return request(topic, partitions, configs).thenApply(mine -> null);
    }

    /**
     * As {@link #ensure(String)}, and completes with true only if this very call asked the cluster
     * and the cluster created the topic then: it then has {@code partitions} partitions and holds
     * nothing published before this call. False when it existed already or another call created it.
     */
    CompletableFuture<Boolean> ensureCreatedHere(String topic) {
        return request(topic, settings.partitions(), Map.of());
    }

    private CompletableFuture<Boolean> request(String topic, int partitions, Map<String, String> configs) {
        CompletableFuture<Boolean> f = known.get(topic);
        if (f != null && !f.isCompletedExceptionally()) {
            return f.thenApply(v -> false);
        }
        // true once this request created the topic; every other caller sees false
        CompletableFuture<Boolean> created = new CompletableFuture<>();
        CompletableFuture<Boolean> prior = f == null ? known.putIfAbsent(topic, created)
                : known.replace(topic, f, created) ? null : known.get(topic);
        if (prior != null) {
            return prior.thenApply(v -> false);
        }
        Optional<Short> rf = settings.replicationFactor() < 0 ? Optional.empty() : Optional.of(settings.replicationFactor());
        NewTopic nt = new NewTopic(topic, Optional.of(partitions), rf).configs(configs);
        admin.createTopics(List.of(nt)).all().whenComplete((v, e) -> {
            Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause == null) {
                LOG.debug("Created Kafka topic '{}' ({} partitions)", topic, partitions);
                onCreated.accept(topic);
                created.complete(true);
            } else if (cause instanceof TopicExistsException) {
                created.complete(false);
            } else {
                known.remove(topic, created);
                created.completeExceptionally(cause);
            }
        });
        return created;
    }
}
