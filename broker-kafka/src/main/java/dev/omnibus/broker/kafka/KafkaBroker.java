package dev.omnibus.broker.kafka;

import dev.omnibus.broker.BrokerException;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.ConnectionException;
import dev.omnibus.broker.Handler;
import dev.omnibus.broker.Headers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.MessageTooLargeException;
import dev.omnibus.broker.PublishException;
import dev.omnibus.broker.RequestException;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Topics;
import dev.omnibus.broker.event.CloudEventBinding;
import dev.omnibus.broker.event.CloudEventCapable;
import dev.omnibus.broker.support.AbstractBroker;
import dev.omnibus.broker.support.AbstractSubscription;
import dev.omnibus.broker.support.PendingRequests;
import dev.omnibus.broker.support.Redaction;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;

/**
 * The Kafka broker: an Omnibus topic is the Kafka topic of that name, created through the admin
 * client; one idempotent {@code acks=all} producer; a queue group is a consumer group; a node's
 * broadcast subscriptions share one group-less consumer; request/reply uses one reply topic per
 * node. Declares every capability except {@link Capability#ORDERED_DELIVERY}, which it declares
 * when topics have one partition ({@code partitions=1}). See broker-kafka/README.md.
 *
 * <p>{@link #publish} returns once the partition leader and its in-sync replicas have the record;
 * while the cluster is unreachable it waits up to the publish timeout, then throws.
 */
public final class KafkaBroker extends AbstractBroker implements CloudEventCapable {
    /**
     * The Kafka protocol binding of CloudEvents: {@code ce_} record headers (UTF-8, not
     * percent-encoded), datacontenttype in {@code content-type}.
     */
    static final CloudEventBinding CLOUD_EVENTS = CloudEventBinding.of("ce_", Headers.CONTENT_TYPE, false);

    private volatile Session session;
    private volatile boolean publishFailing;
    private volatile boolean probeFailing;

    KafkaBroker(BrokerOptions options) {
        super(KafkaBrokerProvider.NAME, options, capabilities(KafkaSettings.from(options)));
        validateOptions(options);
    }

    private static Set<Capability> capabilities(KafkaSettings s) {
        EnumSet<Capability> c = EnumSet.allOf(Capability.class);
        if (s.partitions() != 1) {
            c.remove(Capability.ORDERED_DELIVERY);
        }
        return c;
    }

    @Override
    protected void validateOptions(BrokerOptions options) {
        KafkaSettings s = KafkaSettings.from(options);
        if (options.sslContext() != null) {
            throw new IllegalArgumentException("the kafka broker at " + options.redactedUrls() + " cannot use BrokerOptions.sslContext:"
                    + " kafka-clients makes its own TLS context; set the JVM trust store (javax.net.ssl.trustStore) instead");
        }
        if ((s.partitions() == 1) != capabilities().contains(Capability.ORDERED_DELIVERY)) {
            throw new IllegalArgumentException("init cannot change 'partitions' between 1 and more on the kafka broker at "
                    + options.redactedUrls() + ": it decides ORDERED_DELIVERY; create a new broker instead");
        }
    }

    /** What lives while connected. */
    private static final class Session {
        final KafkaSettings settings;
        final ClientConfigs configs;
        final Admin admin;
        final KafkaProducer<byte[], byte[]> producer;
        final TopicAdmin topics;
        final ScheduledExecutorService timer;
        final ExecutorService publishers;
        final PendingRequests pending;
        volatile HealthProbe probe;
        volatile NodeConsumer node;
        volatile ReplyInbox replies;

        Session(KafkaSettings settings, ClientConfigs configs, Admin admin, KafkaProducer<byte[], byte[]> producer,
                TopicAdmin topics, ScheduledExecutorService timer, ExecutorService publishers) {
            this.settings = settings;
            this.configs = configs;
            this.admin = admin;
            this.producer = producer;
            this.topics = topics;
            this.timer = timer;
            this.publishers = publishers;
            this.pending = new PendingRequests(timer);
        }
    }

    @Override
    protected boolean isLive() {
        return session != null && !publishFailing && !probeFailing;
    }

    @Override
    protected void doConnect(BrokerOptions options) {
        KafkaSettings settings = KafkaSettings.from(options);
        ClientConfigs configs = new ClientConfigs(settings, options);
        String address = address();
        Admin admin;
        try {
            admin = Admin.create(configs.admin());
        } catch (RuntimeException e) {
            throw new ConnectionException("cannot set up a Kafka client for " + address + ": " + text(e), e);
        }
        try {
            String cluster = admin.describeCluster().clusterId().get(options.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
            log.debug("Kafka cluster {} at {}", cluster, address);
        } catch (ExecutionException | TimeoutException | InterruptedException | RuntimeException e) {
            admin.close(Duration.ZERO);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw connectFailure(e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e, settings, options);
        }
        KafkaProducer<byte[], byte[]> producer;
        try {
            producer = new KafkaProducer<>(configs.producer());
        } catch (RuntimeException e) {
            admin.close(Duration.ZERO);
            throw new ConnectionException("cannot create the Kafka producer for " + address + ": " + text(e), e);
        }
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "omnibus-kafka-timer-" + options.nodeId()));
        ExecutorService publishers = Executors.newCachedThreadPool(r -> daemon(r, "omnibus-kafka-publish-" + options.nodeId()));
        Session[] holder = new Session[1];
        TopicAdmin topics = new TopicAdmin(admin, settings, t -> {
            Session s = holder[0];
            if (s != null && s.node != null) {
                s.node.topicCreated(t);
            }
        });
        holder[0] = new Session(settings, configs, admin, producer, topics, timer, publishers);
        session = holder[0];
        publishFailing = false;
        probeFailing = false;
        holder[0].probe = new HealthProbe(admin, timer, settings.healthProbe(), options.connectTimeout(), new HealthProbe.Listener() {
            @Override
            public void unanswered(Throwable cause) {
                if (!probeFailing) {
                    probeFailing = true;
                    log.warn("Kafka at {} does not answer (node '{}'): {}; the clients keep reconnecting", address, options.nodeId(),
                            text(cause));
                }
                reportConnectionLost(cause);
            }

            @Override
            public void answered() {
                if (probeFailing || publishFailing) {
                    probeFailing = false;
                    publishFailing = false;
                    log.info("Kafka at {} answers again (node '{}')", address, options.nodeId());
                    reportConnectionRestored();
                }
            }
        });
        holder[0].probe.start();
        log.info("Connected to Kafka at {} as node '{}'", address, options.nodeId());
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    @Override
    protected void doDisconnect(Duration timeout) {
        Session s = session;
        session = null;
        if (s == null) {
            return;
        }
        if (s.probe != null) {
            s.probe.stop();
        }
        if (s.node != null) {
            s.node.close(timeout);
        }
        if (s.replies != null) {
            s.replies.close(timeout);
        }
        s.pending.failAll(new RequestException("the kafka broker at " + address() + " disconnected before the reply came", false));
        try {
            s.producer.close(timeout);
        } catch (RuntimeException e) {
            log.debug("Closing the producer: {}", e.toString());
        }
        s.admin.close(timeout);
        s.timer.shutdownNow();
        s.publishers.shutdownNow();
    }

    // ------------------------------------------------------------------ publish

    @Override
    protected void doPublish(String topic, Message message) {
        KafkaNames.checkTopic(topic);
        Session s = session();
        long timeout = options().publishTimeout().toMillis();
        try {
            s.topics.ensure(topic).get(timeout, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException | InterruptedException e) {
            throw topicFailure(topic, e);
        }
        try {
            send(s, topic, message).get(timeout + 5_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new PublishException(text(e.getCause()), e.getCause());
        } catch (TimeoutException e) {
            throw new PublishException("Kafka at " + address() + " did not acknowledge message " + message.id() + " to '" + topic
                    + "' within the publish timeout " + options().publishTimeout() + "; it may still arrive", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PublishException("interrupted while publishing message " + message.id() + " to '" + topic + "' at " + address(), e);
        }
    }

    @Override
    protected CompletableFuture<Void> doPublishAsync(String topic, Message message) {
        KafkaNames.checkTopic(topic);
        Session s = session;
        if (s == null) {
            return CompletableFuture.failedFuture(notConnected("publish to '" + topic + "'"));
        }
        CompletableFuture<Void> exists = s.topics.ensure(topic);
        if (exists.isDone() && !exists.isCompletedExceptionally()) {
            return send(s, topic, message);
        }
        return exists.handle((v, e) -> e).thenComposeAsync(e -> e == null ? send(s, topic, message)
                : CompletableFuture.failedFuture(topicFailure(topic, e)), s.publishers);
    }

    /** Sends one record; the future completes from the producer's callback. */
    private CompletableFuture<Void> send(Session s, String topic, Message message) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            s.producer.send(KafkaWire.record(topic, message, s.settings.keyHeader()), (md, e) -> {
                if (e == null) {
                    if (publishFailing) {
                        publishFailing = false;
                        reportConnectionRestored();
                    }
                    done.complete(null);
                } else {
                    done.completeExceptionally(publishFailure(s, topic, message, e));
                }
            });
        } catch (RuntimeException e) {
            done.completeExceptionally(publishFailure(s, topic, message, e));
        }
        return done;
    }

    private RuntimeException publishFailure(Session s, String topic, Message message, Throwable e) {
        if (e instanceof RecordTooLargeException) {
            return new MessageTooLargeException(topic, message.size(), s.settings.maxMessageBytes());
        }
        if (e instanceof org.apache.kafka.common.errors.TimeoutException || e instanceof RetriableException) {
            publishFailing = true;
            reportConnectionLost(e);
            return new PublishException("Kafka at " + address() + " did not acknowledge message " + message.id() + " to '" + topic
                    + "' within the publish timeout " + options().publishTimeout() + " (" + text(e)
                    + "); check that the cluster is reachable; the message may still arrive", e);
        }
        if (e instanceof AuthorizationException) {
            return new PublishException("Kafka at " + address() + " refused message " + message.id() + " to '" + topic + "': "
                    + text(e) + "; grant the user WRITE on the topic", e);
        }
        return new PublishException("publishing message " + message.id() + " to '" + topic + "' at " + address() + " failed: " + text(e), e);
    }

    private BrokerException topicFailure(String topic, Throwable e) {
        Throwable cause = e instanceof ExecutionException || e instanceof CompletionException ? e.getCause() : e;
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        if (e instanceof TimeoutException) {
            publishFailing = true;
            reportConnectionLost(e);
            return new PublishException("could not create or find Kafka topic '" + topic + "' at " + address() + " within "
                    + options().publishTimeout() + "; check that the cluster is reachable", e);
        }
        if (cause instanceof org.apache.kafka.common.errors.InvalidTopicException) {
            return new PublishException("Kafka at " + address() + " refused topic '" + topic + "': " + text(cause)
                    + " (Kafka treats '.' and '_' alike in topic names, so 'a.b' and 'a_b' collide)", cause);
        }
        return new PublishException("could not create Kafka topic '" + topic + "' at " + address() + ": " + text(cause)
                + (cause instanceof AuthorizationException ? "; grant the user CREATE on the cluster or create the topic beforehand" : ""),
                cause);
    }

    // ------------------------------------------------------------------ subscribe

    @Override
    protected AbstractSubscription doSubscribe(String topic, Handler handler, SubscribeOptions options) {
        Session s = session();
        boolean pattern = Topics.isPattern(topic);
        if (pattern) {
            KafkaNames.checkPattern(topic);
        } else {
            KafkaNames.checkTopic(topic);
        }
        if (options.deadLetterTopic() != null) {
            KafkaNames.checkTopic(options.deadLetterTopic());
        }
        String what = "subscribe to '" + topic + "'" + (options.queue() != null ? " in group '" + options.queue() + "'" : "");
        long timeout = options().publishTimeout().toMillis();
        boolean createdHere = false;
        if (!pattern) {
            try {
                createdHere = s.topics.ensureCreatedHere(topic).get(timeout, TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException | InterruptedException e) {
                throw new BrokerException("cannot " + what + ": " + topicFailure(topic, e).getMessage(), e);
            }
        }
        if (options.queue() == null) {
            KafkaSubscription sub = new KafkaSubscription(this, topic, handler, options, NodeConsumer.MAX_POLL);
            try {
                node(s).add(sub, createdHere ? s.settings.partitions() : 0).get(timeout + 5_000, TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException | InterruptedException e) {
                sub.unsubscribe();
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                Throwable c = e.getCause() != null ? e.getCause() : e;
                throw new BrokerException("cannot " + what + " at " + address() + ": " + text(c), c);
            }
            return sub;
        }
        String groupId = KafkaNames.queueGroup(s.settings.prefix(), options.queue(), topic);
        KafkaSubscription sub = new KafkaSubscription(this, topic, handler, options, options.prefetch());
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(s.configs.groupConsumer(groupId, sub.name(), options.prefetch()));
        GroupConsumer g = new GroupConsumer(sub, consumer, groupId, options().publishTimeout(), s.settings.heartbeatInterval(),
                options.durable() ? null : this::deleteIfEmpty);
        sub.attach(g);
        g.start(options().connectTimeout().plus(s.settings.sessionTimeout()));
        return sub;
    }

    /** A non-durable group's last member left: delete the consumer group (Kafka refuses while it has members). */
    private void deleteIfEmpty(String groupId) {
        Session s = session;
        if (s == null) {
            return;
        }
        s.admin.deleteConsumerGroups(List.of(groupId)).all().whenComplete((v, e) -> {
            if (e == null) {
                log.debug("Deleted the consumer group '{}' of a non-durable queue group", groupId);
            }
        });
    }

    private NodeConsumer node(Session s) {
        NodeConsumer n = s.node;
        if (n == null) {
            synchronized (s) {
                n = s.node;
                if (n == null) {
                    n = new NodeConsumer(new KafkaConsumer<>(s.configs.assignedConsumer("broadcast", NodeConsumer.MAX_POLL)),
                            options().nodeId(), options().publishTimeout(), s.settings.metadataMaxAge());
                    s.node = n;
                }
            }
        }
        return n;
    }

    Optional<NodeConsumer> nodeConsumerIfStarted() {
        Session s = session;
        return Optional.ofNullable(s == null ? null : s.node);
    }

    ScheduledExecutorService timer() {
        Session s = session;
        if (s == null) {
            throw notConnected("redeliver");
        }
        return s.timer;
    }

    // ------------------------------------------------------------------ request/reply

    @Override
    protected CompletableFuture<Message> doRequest(String topic, Message message, Duration timeout) {
        KafkaNames.checkTopic(topic);
        Session s = session();
        ReplyInbox inbox = replies(s);
        String correlationId = Message.newId();
        CompletableFuture<Message> reply = s.pending.register(correlationId, topic, timeout);
        Message request = message.toBuilder().header(Headers.REPLY_TO, inbox.topic).correlationId(correlationId).build();
        publishAsync(topic, request).whenComplete((v, e) -> {
            if (e != null) {
                Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                s.pending.fail(correlationId, new RequestException("request on '" + topic + "' could not be sent: " + c.getMessage(), false));
            }
        });
        return reply;
    }

    private ReplyInbox replies(Session s) {
        ReplyInbox r = s.replies;
        if (r != null) {
            return r;
        }
        synchronized (s) {
            if (s.replies == null) {
                String topic = KafkaNames.replyTopic(s.settings.prefix(), options().nodeId());
                try {
                    s.topics.ensure(topic, 1, Map.of(TopicConfig.RETENTION_MS_CONFIG, Long.toString(s.settings.replyRetention().toMillis())))
                            .get(options().publishTimeout().toMillis(), TimeUnit.MILLISECONDS);
                    s.replies = new ReplyInbox(topic, new KafkaConsumer<>(s.configs.assignedConsumer("replies", 500)), s.pending,
                            options().publishTimeout());
                } catch (ExecutionException | TimeoutException | InterruptedException | RuntimeException e) {
                    if (e instanceof InterruptedException) {
                        Thread.currentThread().interrupt();
                    }
                    Throwable c = e instanceof ExecutionException ? e.getCause() : e;
                    throw new RequestException("cannot set up the reply topic '" + topic + "' at " + address() + ": " + text(c), false);
                }
            }
            return s.replies;
        }
    }

    void sendReply(String replyTo, Message reply) {
        Session s = session;
        if (s == null) {
            log.debug("Reply {} to '{}' dropped: disconnected", reply.id(), replyTo);
            return;
        }
        send(s, replyTo, reply).whenComplete((v, e) -> {
            if (e != null) {
                log.warn("Reply {} to '{}' failed: {}", reply.id(), replyTo, e.getMessage());
            }
        });
    }

    // ------------------------------------------------------------------ helpers

    private Session session() {
        Session s = session;
        if (s == null) {
            throw notConnected("use the broker");
        }
        return s;
    }

    /** An exception's text with any password masked. */
    private String text(Throwable e) {
        String t = e == null ? "unknown failure" : e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        Session s = session;
        String urlPassword = s != null ? s.settings.password() : KafkaSettings.from(options()).password();
        return Redaction.secret(Redaction.secret(Redaction.url(t), options().password()), urlPassword);
    }

    private ConnectionException connectFailure(Throwable e, KafkaSettings settings, BrokerOptions options) {
        String address = address();
        if (e instanceof AuthenticationException) {
            return new ConnectionException("access refused by Kafka at " + address + " for user '" + settings.username() + "' ("
                    + text(e) + "); check the credentials in the URL or BrokerOptions.credentials(...) and 'saslMechanism'", e);
        }
        return new ConnectionException("cannot connect to Kafka at " + address + " within " + options.connectTimeout() + ": "
                + text(e) + "; check that Kafka runs there, that the address is right and that its advertised listeners are"
                + " reachable from here", e);
    }

    @Override
    public CloudEventBinding cloudEventBinding() {
        return CLOUD_EVENTS;
    }
}
