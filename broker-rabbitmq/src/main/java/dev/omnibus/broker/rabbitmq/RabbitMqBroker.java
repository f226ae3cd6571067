package dev.omnibus.broker.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AuthenticationFailureException;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.PossibleAuthenticationFailureException;
import dev.omnibus.broker.BrokerException;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.ConnectionException;
import dev.omnibus.broker.Handler;
import dev.omnibus.broker.Headers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.NotConnectedException;
import dev.omnibus.broker.RequestException;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.event.CloudEventBinding;
import dev.omnibus.broker.event.CloudEventCapable;
import dev.omnibus.broker.support.AbstractBroker;
import dev.omnibus.broker.support.AbstractSubscription;
import dev.omnibus.broker.support.Redaction;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * The RabbitMQ broker: one durable topic exchange, static named queues (see {@link StaticTopology}
 * and the module README), publisher confirms, manual acks and automatic connection and topology
 * recovery. Declares all nine {@link Capability capabilities}.
 *
 * <p>URL {@code amqp://user:password@host:5672/vhost?property=value} or {@code amqps://...};
 * several URLs make a cluster address list. Properties (URL parameters or
 * {@link BrokerOptions.Builder#property}): {@code exchange} (default {@code omnibus}),
 * {@code nodePrefetch} (unacked broadcast messages per node, 1024), {@code groupQueueExpires}
 * (how long a non-durable group queue outlives its last member, 60 s), {@code publishChannels} (8),
 * {@code maxMessageBytes} (the server's {@code max_message_size}, 128 MiB), {@code recoveryInterval}
 * (1 s), {@code heartbeat} (seconds, 30) and {@code persistent} (true).
 *
 * <p>{@link #publish} returns after RabbitMQ's confirm; while the connection recovers it waits up
 * to the publish timeout and then throws. A publish that reaches a durable group's classic queue
 * while that queue's cluster node is down is nacked through the group's guard exchange and throws
 * at once (see {@link StaticTopology}), instead of being confirmed and dropped. Handlers run on the
 * broker's shared {@link dev.omnibus.broker.support.HandlerPool}, never on amqp-client's threads.
 */
public final class RabbitMqBroker extends AbstractBroker implements CloudEventCapable {
    /**
     * The AMQP binding of CloudEvents, carried to 0-9-1: {@code cloudEvents_} headers in the headers table,
     * datacontenttype in {@code content-type} (also the AMQP content_type property).
     */
    static final CloudEventBinding CLOUD_EVENTS = CloudEventBinding.of("cloudEvents_", Headers.CONTENT_TYPE, false);

    private volatile Session session;

    RabbitMqBroker(BrokerOptions options) {
        super(RabbitMqBrokerProvider.NAME, options, EnumSet.allOf(Capability.class));
        validateOptions(options);
    }

    @Override
    protected void validateOptions(BrokerOptions options) {
        new ConnectionSettings(options);
    }

    @Override
    protected boolean isLive() {
        Session s = session;
        // a group member whose consumer RabbitMQ cancelled receives nothing until it re-subscribes: not live
        return s != null && s.gate.isOpen() && s.waitingGroup() == null;
    }

    /** For health(): a subscription lost its consumer and waits to consume again. */
    void subscriptionWaiting(String why) {
        reportError(new BrokerException(why + "; re-subscribing with backoff"));
    }

    @Override
    protected void doConnect(BrokerOptions options) {
        ConnectionSettings settings = new ConnectionSettings(options);
        String address = options.redactedUrls();
        StaticTopology topology = new StaticTopology(settings, address);
        ConnectionFactory factory = settings.factory(topology);
        Connection connection;
        try {
            connection = factory.newConnection(settings.addresses, "omnibus-" + options.nodeId());
        } catch (IOException | TimeoutException | RuntimeException e) {
            throw connectFailure(e, factory.getUsername(), options);
        }
        Session s = new Session(settings, connection, topology, address);
        try {
            s.start(this);
        } catch (IOException | RuntimeException e) {
            s.close(Duration.ZERO);
            if (e instanceof BrokerException) {
                throw (BrokerException) e;
            }
            throw new ConnectionException("connected to RabbitMQ at " + address + " but could not set up exchange '"
                    + settings.exchange + "' and the queues of node '" + options.nodeId() + "': " + AmqpErrors.text(e), e);
        }
        session = s;
        log.info("Connected to RabbitMQ at {} as node '{}' (exchange '{}', node queue '{}')", address, options.nodeId(),
                settings.exchange, topology.nodeQueue);
    }

    @Override
    protected void doDisconnect(Duration timeout) {
        Session s = session;
        session = null;
        if (s != null) {
            s.close(timeout);
        }
    }

    @Override
    protected void doPublish(String topic, Message message) {
        Session s = session();
        s.publisher.sendAndWait(s.topology.exchange, topic, topic, message, false);
    }

    @Override
    protected CompletableFuture<Void> doPublishAsync(String topic, Message message) {
        Session s = session;
        if (s == null) {
            return CompletableFuture.failedFuture(notConnected("publish to '" + topic + "'"));
        }
        return s.publisher.send(s.topology.exchange, topic, topic, message, false);
    }

    @Override
    protected AbstractSubscription doSubscribe(String topic, Handler handler, SubscribeOptions options) {
        String key = StaticTopology.routingKey(topic);
        if (key.getBytes(StandardCharsets.UTF_8).length > 255) {
            throw new IllegalArgumentException("pattern '" + topic + "' becomes RabbitMQ binding key '" + key
                    + "', longer than the 255 bytes RabbitMQ allows; use a shorter pattern");
        }
        Session s = session();
        String what = "subscribe to '" + topic + "'" + (options.queue() != null ? " in group '" + options.queue() + "'" : "");
        s.awaitOpen(what);
        int prefetch = options.queue() == null ? s.settings.nodePrefetch : options.prefetch();
        RabbitMqSubscription sub = new RabbitMqSubscription(this, s, topic, handler, options, prefetch);
        try {
            sub.start();
        } catch (IOException | RuntimeException e) {
            sub.unsubscribe();
            if (e instanceof BrokerException) {
                throw (BrokerException) e;
            }
            throw new BrokerException("cannot " + what + " at " + s.address + ": " + AmqpErrors.text(e)
                    + (AmqpErrors.connectionLost(e) ? "; the connection was lost, try again once it has recovered" : ""), e);
        }
        return sub;
    }

    @Override
    protected CompletableFuture<Message> doRequest(String topic, Message message, Duration timeout) {
        Session s = session();
        String correlationId = Message.newId();
        CompletableFuture<Message> reply = s.pending.register(correlationId, topic, timeout);
        Message request = message.toBuilder().header(Headers.REPLY_TO, s.topology.replyQueue).correlationId(correlationId).build();
        // mandatory: RabbitMQ returns a request no queue is bound for, so "no responders" fails at once
        s.publisher.send(s.topology.exchange, topic, topic, request, true).whenComplete((v, e) -> {
            if (e != null) {
                s.pending.fail(correlationId, e instanceof RuntimeException ? (RuntimeException) e
                        : new RequestException("request on '" + topic + "' failed: " + e, false));
            }
        });
        return reply;
    }

    /** For health(): the connection dropped (or was closed by us, which health ignores while disconnecting). */
    void connectionLost(Throwable cause) {
        reportConnectionLost(cause);
    }

    void connectionRestored() {
        reportConnectionRestored();
    }

    private Session session() {
        Session s = session;
        if (s == null) {
            throw notConnected("use the broker");
        }
        return s;
    }

    void onReturn(int code, String text, String exchange, String routingKey, AMQP.BasicProperties props) {
        Session s = session;
        String correlationId = props.getCorrelationId();
        if (s != null && correlationId != null) {
            s.pending.fail(correlationId, new RequestException("no responders: nothing subscribes to '" + routingKey
                    + "' on exchange '" + exchange + "' at " + s.address + " (RabbitMQ returned the request: " + text + ")", true));
        }
    }

    private static ConnectionException connectFailure(Exception e, String user, BrokerOptions options) {
        String address = options.redactedUrls();
        String detail = Redaction.secret(Redaction.url(AmqpErrors.text(e)), options.password());
        String msg;
        if (e instanceof AuthenticationFailureException || e instanceof PossibleAuthenticationFailureException) {
            msg = "access refused by RabbitMQ at " + address + " for user '" + user + "': wrong user name or password ("
                    + detail + "); check the credentials in the URL or BrokerOptions.credentials(...)";
        } else if (AmqpErrors.code(e) == AMQP.NOT_ALLOWED || AmqpErrors.code(e) == AMQP.ACCESS_REFUSED) {
            msg = "access refused by RabbitMQ at " + address + " for user '" + user + "' (" + detail
                    + "); check that the virtual host exists and the user may use it";
        } else {
            msg = "cannot connect to RabbitMQ at " + address + " within " + options.connectTimeout() + ": " + detail
                    + "; check that RabbitMQ runs there and the address is right";
        }
        return new ConnectionException(msg, e);
    }

    @Override
    public CloudEventBinding cloudEventBinding() {
        return CLOUD_EVENTS;
    }
}
