package dev.omnibus.broker.rabbitmq;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import com.rabbitmq.client.impl.recovery.RecordedBinding;
import com.rabbitmq.client.impl.recovery.RecordedConsumer;
import com.rabbitmq.client.impl.recovery.RecordedExchange;
import com.rabbitmq.client.impl.recovery.RecordedQueue;
import com.rabbitmq.client.impl.recovery.TopologyRecoveryFilter;
import dev.omnibus.broker.BrokerException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every exchange, queue and binding the broker declares, named deterministically (CloudBus
 * discipline): one durable topic exchange; per node a broadcast queue and a reply queue; per
 * (queue group, pattern) one group queue shared by every member on every node. Nothing is
 * server-named and nothing is declared per request or per subscription, so the number of queues
 * grows with nodes and groups only.
 *
 * <p>Queues and bindings are declared on one long-lived admin channel, so amqp-client's
 * topology recovery always finds them on a live channel. What is recovered is filtered against
 * what is in use now: a group queue this node has left, or a binding of a pattern nobody here
 * subscribes to any more, is not brought back after a reconnect.
 */
final class StaticTopology implements TopologyRecoveryFilter {
    static final String EXPIRES = "x-expires";
    static final String QUEUE_TYPE = "x-queue-type";
    static final String ALTERNATE_EXCHANGE = "alternate-exchange";
    private static final int MAX_NAME_BYTES = 255;
    private static final Logger LOG = LoggerFactory.getLogger(StaticTopology.class);

    final String exchange;
    final String nodeQueue;
    final String replyQueue;
    /** Fanout exchange: the guards' alternate exchange; every node's sentinel queue is bound to it. */
    final String unavailableExchange;
    /** This node's queue that rejects every message (max length 0, reject-publish): a publish reaching it is nacked. */
    final String sentinelQueue;
    private final int groupQueueExpiresMillis;
    private final ConnectionSettings.QueueType queueType;
    private final String address;
    private final java.util.Set<String> retiredConsumers = ConcurrentHashMap.newKeySet();
    private final Map<String, Integer> nodeBindings = new ConcurrentHashMap<>();
    private final Map<String, GroupQueue> groups = new ConcurrentHashMap<>();
    private Connection connection;
    private Channel admin;

    StaticTopology(ConnectionSettings settings, String address) {
        this.exchange = settings.exchange;
        this.nodeQueue = nodeQueueName(exchange, settings.options.nodeId());
        this.replyQueue = replyQueueName(exchange, settings.options.nodeId());
        this.unavailableExchange = unavailableExchangeName(exchange);
        this.sentinelQueue = sentinelQueueName(exchange, settings.options.nodeId());
        this.groupQueueExpiresMillis = (int) settings.groupQueueExpires.toMillis();
        this.queueType = settings.queueType;
        this.address = address;
    }

    /** Routing key for a subscription pattern: {@code *} stays, a final {@code >} becomes {@code *.#} (one or more words). */
    static String routingKey(String pattern) {
        if (pattern.equals(">")) {
            return "*.#";
        }
        return pattern.endsWith(".>") ? pattern.substring(0, pattern.length() - 1) + "*.#" : pattern;
    }

    /** {@code <exchange>.node.<nodeId>}: the node's broadcast queue. */
    static String nodeQueueName(String exchange, String nodeId) {
        return exchange + ".node." + nodeId;
    }

    /** {@code <exchange>.reply.<nodeId>}: where replies to the node's requests arrive. */
    static String replyQueueName(String exchange, String nodeId) {
        return exchange + ".reply." + nodeId;
    }

    /** {@code <exchange>.unavailable}: where a guard sends what its group queue cannot take. */
    static String unavailableExchangeName(String exchange) {
        return exchange + ".unavailable";
    }

    /** {@code <exchange>.unavailable.<nodeId>}: the node's sentinel queue, which rejects every message. */
    static String sentinelQueueName(String exchange, String nodeId) {
        return unavailableExchangeName(exchange) + "." + nodeId;
    }

    /**
     * {@code <exchange>.group.<group>:<pattern>}; a name over 255 bytes keeps its first bytes and ends
     * in {@code ~} and 16 hex digits of its SHA-256. ':' cannot occur in a group name, so distinct
     * (group, pattern) pairs never share a queue.
     */
    static String groupQueueName(String exchange, String group, String pattern) {
        return bounded(exchange + ".group." + group + ":" + pattern);
    }

    /**
     * {@code <exchange>.guard.<group>:<pattern>}, shortened like {@link #groupQueueName}: the fanout
     * exchange between the topic exchange and a durable classic group queue (see {@link GroupQueue}).
     */
    static String guardExchangeName(String exchange, String group, String pattern) {
        return bounded(exchange + ".guard." + group + ":" + pattern);
    }

    private static String bounded(String name) {
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        if (utf8.length <= MAX_NAME_BYTES) {
            return name;
        }
        String hash = "~" + HexFormat.of().formatHex(sha256(utf8), 0, 8);
        StringBuilder b = new StringBuilder();
        int bytes = 0;
        for (int i = 0; i < name.length(); ) {
            int cp = name.codePointAt(i);
            int n = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
            if (bytes + n > MAX_NAME_BYTES - hash.length()) {
                break;
            }
            b.appendCodePoint(cp);
            bytes += n;
            i += Character.charCount(cp);
        }
        return b.append(hash).toString();
    }

    /** Declares the exchange and the node's two queues; the connection is this topology's from now on. */
    synchronized void declareBase(Connection connection) throws IOException {
        this.connection = connection;
        this.admin = connection.createChannel();
        declare(admin, "exchange '" + exchange + "' (durable topic exchange)",
                ch -> ch.exchangeDeclare(exchange, BuiltinExchangeType.TOPIC, true),
                "an exchange of that name exists with another type or durability; choose another name with the 'exchange'"
                        + " property, or delete the exchange if nothing else uses it");
        declareNodeQueues(admin);
    }

    /** Consumes (never receiving anything) from the sentinel queue, so that it goes with this node's connection. */
    void holdSentinel(Channel ch, String tag) throws IOException {
        ch.basicConsume(sentinelQueue, true, tag, new com.rabbitmq.client.DefaultConsumer(ch));
    }

    /** Binds the node queue for {@code pattern}; the first subscription of a pattern binds, later ones count. */
    synchronized void bindNode(String pattern) throws IOException {
        String key = routingKey(pattern);
        Integer n = nodeBindings.get(key);
        if (n == null) {
            admin().queueBind(nodeQueue, exchange, key);
            n = 0;
        }
        nodeBindings.put(key, n + 1);
    }

    /** Counts down {@code pattern}'s subscriptions; the last one unbinds the node queue. */
    synchronized void unbindNode(String pattern) throws IOException {
        String key = routingKey(pattern);
        Integer n = nodeBindings.get(key);
        if (n == null) {
            return;
        }
        if (n > 1) {
            nodeBindings.put(key, n - 1);
            return;
        }
        nodeBindings.remove(key);
        admin().queueUnbind(nodeQueue, exchange, key);
    }

    /**
     * Declares and binds the group queue of (group, pattern) and returns its name. A queue that
     * exists with other arguments fails with a {@link BrokerException} naming it and the fix;
     * that refusal closes only a throwaway channel, never the broker's own.
     */
    synchronized String joinGroup(String group, String pattern, boolean durable) throws IOException {
        String name = groupQueueName(exchange, group, pattern);
        GroupQueue known = groups.get(name);
        if (known != null) {
            if (known.durable != durable) {
                throw new BrokerException(groupRefusal(group, pattern, name, "this node already subscribes to it with durable("
                        + known.durable + ")"));
            }
            known.members++;
            return name;
        }
        GroupQueue g = new GroupQueue(name, durable && queueType == ConnectionSettings.QueueType.CLASSIC
                ? guardExchangeName(exchange, group, pattern) : null, routingKey(pattern), durable);
        // the probe takes the channel error of a queue declared with other arguments, leaving the admin channel alive
        Channel probe = connection.createChannel();
        try {
            g.declare(probe);
        } catch (IOException e) {
            if (AmqpErrors.connectionLost(e) && AmqpErrors.code(e) == 0) {
                throw e;
            }
            String said = AmqpErrors.text(e);
            if (durable && said.contains("'" + QUEUE_TYPE + "'")) {
                throw new BrokerException(typeRefusal(group, pattern, name, said), e);
            }
            throw new BrokerException(groupRefusal(group, pattern, name, "RabbitMQ said: " + said), e);
        } finally {
            closeQuietly(probe);
        }
        g.declare(admin());
        g.bind(admin());
        groups.put(name, g);
        return name;
    }

    /** One member fewer; the queue itself stays (other nodes' members and durable messages need it). */
    synchronized void leaveGroup(String name) {
        GroupQueue g = groups.get(name);
        if (g != null && --g.members == 0) {
            groups.remove(name);
        }
    }

    private String groupRefusal(String group, String pattern, String name, String detail) {
        return "cannot join queue group '" + group + "' on '" + pattern + "': queue '" + name + "' on " + address
                + " exists with other arguments (" + detail + "). Every member of a group must use the same durable()"
                + " setting and groupQueueExpires; subscribe with those, or delete the queue (rabbitmqctl delete_queue '"
                + name + "') if its messages may go";
    }

    private String typeRefusal(String group, String pattern, String name, String said) {
        String other = queueType == ConnectionSettings.QueueType.QUORUM ? "classic" : "quorum";
        return "cannot join durable queue group '" + group + "' on '" + pattern + "': queue '" + name + "' on " + address
                + " is a " + other + " queue, and this broker declares durable group queues as " + queueType.argument()
                + " queues (property queueType; RabbitMQ said: " + said + "). RabbitMQ cannot change the type of a queue:"
                + " either set queueType=" + other + " on every member to keep the queue as it is, or drain it and delete it"
                + " (rabbitmqctl delete_queue '" + name + "') so that it is declared again as a " + queueType.argument() + " queue";
    }

    /**
     * Declares and binds group queue {@code name} again on {@code ch} (a member re-subscribing after
     * RabbitMQ cancelled its consumer); false if this node no longer uses the queue.
     */
    boolean redeclareGroup(Channel ch, String name) throws IOException {
        GroupQueue g;
        synchronized (this) {
            g = groups.get(name);
        }
        if (g == null) {
            return false;
        }
        g.declare(ch);
        g.bind(ch);
        return true;
    }

    /** A consumer tag that must not be brought back by a connection recovery (its member re-subscribed under another). */
    void retireConsumer(String tag) {
        if (tag != null) {
            retiredConsumers.add(tag);
        }
    }

    @Override
    public boolean filterConsumer(RecordedConsumer recorded) {
        return !retiredConsumers.contains(recorded.getConsumerTag());
    }

    @Override
    public boolean filterExchange(RecordedExchange recorded) {
        String x = recorded.getName();
        return x.equals(exchange) || x.equals(unavailableExchange) || guardInUse(x);
    }

    private boolean guardInUse(String x) {
        for (GroupQueue g : groups.values()) {
            if (x.equals(g.guard)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean filterQueue(RecordedQueue recorded) {
        String q = recorded.getName();
        return q.equals(nodeQueue) || q.equals(replyQueue) || q.equals(sentinelQueue) || groups.containsKey(q);
    }

    @Override
    public boolean filterBinding(RecordedBinding recorded) {
        String source = recorded.getSource();
        String dest = recorded.getDestination();
        if (source.equals(unavailableExchange)) {
            return dest.equals(sentinelQueue);
        }
        if (!source.equals(exchange)) {
            // guard -> its group queue
            GroupQueue g = groups.get(dest);
            return g != null && source.equals(g.guard);
        }
        if (dest.equals(nodeQueue)) {
            return nodeBindings.containsKey(recorded.getRoutingKey());
        }
        GroupQueue g = groups.get(dest);
        if (g != null) {
            return g.key.equals(recorded.getRoutingKey());
        }
        // topic exchange -> a guard
        for (GroupQueue q : groups.values()) {
            if (dest.equals(q.guard)) {
                return q.key.equals(recorded.getRoutingKey());
            }
        }
        return false;
    }

    private void declareNodeQueues(Channel ch) throws IOException {
        String node = nodeQueue.substring(exchange.length() + ".node.".length());
        String fix = "a queue of that name exists with other arguments; another process may use node id '" + node
                + "' with another version, or delete the queue";
        for (String q : new String[] {nodeQueue, replyQueue}) {
            declare(ch, "queue '" + q + "' (auto-delete)", c -> c.queueDeclare(q, false, false, true, null), fix);
        }
        declare(ch, "exchange '" + unavailableExchange + "' (durable fanout exchange)",
                c -> c.exchangeDeclare(unavailableExchange, BuiltinExchangeType.FANOUT, true),
                "an exchange of that name exists with another type or durability; delete it if nothing else uses it, or"
                        + " choose another name with the 'exchange' property");
        // on the node of this connection (client-local): it lives as long as the connection does, and rejects everything
        declare(ch, "queue '" + sentinelQueue + "' (auto-delete, x-max-length 0, reject-publish)",
                c -> c.queueDeclare(sentinelQueue, false, false, true, Map.of("x-max-length", 0, "x-overflow", "reject-publish",
                        "x-queue-master-locator", "client-local")),
                fix);
        ch.queueBind(sentinelQueue, unavailableExchange, "");
    }

    // the admin channel, reopened after a channel error with everything in use declared again on it
    private Channel admin() throws IOException {
        if (admin.isOpen()) {
            return admin;
        }
        ShutdownSignalException reason = admin.getCloseReason();
        if (reason != null && reason.isHardError() && !reason.isInitiatedByApplication()) {
            throw new IOException("the connection to " + address + " is down", reason);
        }
        LOG.warn("Admin channel was closed ({}); reopening it and declaring the topology in use again",
                reason != null ? AmqpErrors.text(reason) : "unknown reason");
        Channel ch = connection.createChannel();
        ch.exchangeDeclare(exchange, BuiltinExchangeType.TOPIC, true);
        declareNodeQueues(ch);
        for (String key : nodeBindings.keySet()) {
            ch.queueBind(nodeQueue, exchange, key);
        }
        for (GroupQueue g : groups.values()) {
            g.declare(ch);
            g.bind(ch);
        }
        admin = ch;
        return ch;
    }

    /**
     * After a connection recovery: if a declaration refused during it (a group queue whose node is
     * down) closed the admin channel, reopen it, which declares this node's queues, the sentinel's
     * binding among them, and the groups in use again.
     */
    synchronized void afterRecovery() {
        try {
            admin();
        } catch (IOException | RuntimeException e) {
            LOG.debug("Declaring the topology again after a recovery: {}", AmqpErrors.text(e));
        }
    }

    void close() {
        Channel a;
        synchronized (this) {
            a = admin;
            nodeBindings.clear();
            groups.clear();
        }
        if (a != null) {
            closeQuietly(a);
        }
    }

    private void declare(Channel ch, String what, ChannelCall call, String fix) throws IOException {
        try {
            call.run(ch);
        } catch (IOException e) {
            if (AmqpErrors.code(e) == 0) {
                throw e;
            }
            throw new BrokerException("RabbitMQ at " + address + " refused to declare " + what + ": " + AmqpErrors.text(e)
                    + "; " + fix, e);
        }
    }

    private static void closeQuietly(Channel ch) {
        try {
            if (ch.isOpen()) {
                ch.close();
            }
        } catch (Exception e) {
            LOG.debug("Closing channel: {}", e.toString());
        }
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    @FunctionalInterface
    private interface ChannelCall {
        void run(Channel ch) throws IOException;
    }

    /**
     * A group queue in use here. A durable classic queue lives on its home node alone, and while that
     * node is down RabbitMQ drops what the topic exchange routes to it and still confirms the publish
     * (the queue leaves the routing tables of the other nodes). So it is bound twice: straight to the
     * topic exchange, and through its guard, a durable fanout exchange bound to it alone whose
     * alternate exchange is {@code <exchange>.unavailable}. While the queue is gone the guard routes
     * to nothing, its alternate exchange hands the message to the nodes' sentinel queues, which
     * reject it, and the channel nacks the publish: it fails, whatever else it reached. RabbitMQ
     * delivers a message once to a queue it reaches by two routes; the durable bindings return
     * with the queue when its node does.
     */
    private final class GroupQueue {
        final String name;
        final String guard;
        final String key;
        final boolean durable;
        int members = 1;

        GroupQueue(String name, String guard, String key, boolean durable) {
            this.name = name;
            this.guard = guard;
            this.key = key;
            this.durable = durable;
        }

        void bind(Channel ch) throws IOException {
            ch.queueBind(name, exchange, key);
            if (guard != null) {
                ch.exchangeDeclare(guard, BuiltinExchangeType.FANOUT, true, false, Map.of(ALTERNATE_EXCHANGE, unavailableExchange));
                ch.queueBind(name, guard, "");
                ch.exchangeBind(guard, exchange, key);
            }
        }

        void declare(Channel ch) throws IOException {
            // durable groups keep their queue (quorum by default: replicated); others vanish after groupQueueExpires without a member
            Map<String, Object> args = durable ? Map.of(QUEUE_TYPE, queueType.argument()) : Map.of(EXPIRES, groupQueueExpiresMillis);
            ch.queueDeclare(name, durable, false, false, args);
        }
    }
}
