package dev.omnibus.broker.memory;

import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.Handler;
import dev.omnibus.broker.Headers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.MessageTooLargeException;
import dev.omnibus.broker.NotConnectedException;
import dev.omnibus.broker.RequestException;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.event.CloudEventBinding;
import dev.omnibus.broker.event.CloudEventCapable;
import dev.omnibus.broker.support.AbstractBroker;
import dev.omnibus.broker.support.AbstractSubscription;
import dev.omnibus.broker.support.PendingRequests;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The in-process broker. {@code memory:} is a private bus; {@code memory://name} joins the bus
 * {@code name} shared by every broker of the JVM using it, so that instances act as nodes.
 *
 * <p>URL parameters (or {@link BrokerOptions} properties, declared in {@link MemorySettings}):
 * {@code bufferSize}, {@code overflow} ({@code block}, {@code drop_oldest}, {@code drop_newest},
 * {@code fail}) and {@code blockTimeout} set the default for subscriptions that keep the
 * {@link SubscribeOptions} default; {@code maxMessageBytes} (default {@value #DEFAULT_MAX_MESSAGE_BYTES})
 * limits body plus headers.
 *
 * <p>Publishing hands the message (never copied) to each matching subscription's bounded buffer
 * on the publisher's thread; handlers run on the broker's shared
 * {@link dev.omnibus.broker.support.HandlerPool}, at most {@code concurrency} at once per subscription.
 */
public final class MemoryBroker extends AbstractBroker implements CloudEventCapable {
    /** {@link CloudEventBinding#DEFAULT}: {@code ce-} headers, datacontenttype in {@code content-type}, values as they are. */
    static final CloudEventBinding CLOUD_EVENTS = CloudEventBinding.DEFAULT;

    public static final long DEFAULT_MAX_MESSAGE_BYTES = 16L * 1024 * 1024;

    private static final AtomicLong INSTANCES = new AtomicLong();

    private volatile MemoryBus bus;
    private volatile PendingRequests pending;
    private volatile String inbox;
    private volatile Route inboxRoute;
    private volatile MemorySettings settings;

    MemoryBroker(BrokerOptions options) {
        super(MemoryBrokerProvider.NAME, options, EnumSet.of(Capability.QUEUE_GROUPS, Capability.WILDCARDS,
                Capability.ACKNOWLEDGEMENT, Capability.DEAD_LETTER, Capability.REQUEST_REPLY, Capability.ORDERED_DELIVERY));
        validateOptions(options);
    }

    /** The bus name of {@code url}, or null for a private bus. */
    static String busName(String url) {
        String rest = url.substring(url.indexOf(':') + 1);
        int q = rest.indexOf('?');
        if (q >= 0) {
            rest = rest.substring(0, q);
        }
        if (rest.isEmpty()) {
            return null;
        }
        if (!rest.startsWith("//")) {
            throw new IllegalArgumentException("memory URL '" + url + "' must be memory: (private bus) or memory://name (shared bus)");
        }
        String name = rest.substring(2);
        if (name.endsWith("/")) {
            name = name.substring(0, name.length() - 1);
        }
        if (!name.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("memory bus name '" + name + "' in URL '" + url
                    + "' must be letters, digits, '-', '_' or '.'");
        }
        return name;
    }

    @Override
    protected void validateOptions(BrokerOptions o) {
        MemorySettings.parse(o);
    }

    @Override
    protected void doConnect(BrokerOptions options) {
        MemorySettings s = MemorySettings.parse(options);
        MemoryBus b = MemoryBus.attach(s.busName());
        PendingRequests p = new PendingRequests(b.timer);
        String box = "_INBOX." + options.nodeId() + "." + INSTANCES.incrementAndGet();
        Route r = (topic, message, attempt) -> p.complete(message.header(Headers.CORRELATION_ID), message);
        b.index.add(box, r);
        settings = s;
        bus = b;
        pending = p;
        inbox = box;
        inboxRoute = r;
    }

    @Override
    protected void doDisconnect(Duration timeout) {
        bus.index.remove(inbox, inboxRoute);
        pending.failAll(new NotConnectedException("request abandoned: the memory broker disconnected"));
        bus.detach();
    }

    @Override
    protected void doPublish(String topic, Message message) {
        checkSize(topic, message);
        bus.route(topic, message);
    }

    @Override
    protected AbstractSubscription doSubscribe(String topic, Handler handler, SubscribeOptions options) {
        MemorySettings s = settings;
        SubscribeOptions effective = options;
        if (options.overflow() == SubscribeOptions.DEFAULT_OVERFLOW && s.overflow() != SubscribeOptions.DEFAULT_OVERFLOW) {
            effective = effective.toBuilder().overflow(s.overflow()).build();
        }
        if (options.blockTimeout().equals(SubscribeOptions.DEFAULT_BLOCK_TIMEOUT)) {
            effective = effective.toBuilder().blockTimeout(s.blockTimeout()).build();
        }
        int size = options.bufferSize() == SubscribeOptions.DEFAULT_BUFFER_SIZE ? s.bufferSize() : options.bufferSize();
        MemorySubscription sub = new MemorySubscription(this, bus, topic, handler, effective, size);
        sub.start();
        return sub;
    }

    @Override
    protected CompletableFuture<Message> doRequest(String topic, Message message, Duration timeout) {
        checkSize(topic, message);
        if (!bus.hasRoute(topic)) {
            return CompletableFuture.failedFuture(new RequestException("no responders: nothing subscribes to '" + topic
                    + "' on memory bus " + address(), true));
        }
        String correlationId = Message.newId();
        CompletableFuture<Message> reply = pending.register(correlationId, topic, timeout);
        try {
            bus.route(topic, message.toBuilder().header(Headers.REPLY_TO, inbox).correlationId(correlationId).build());
        } catch (RuntimeException e) {
            pending.fail(correlationId, e);
        }
        return reply;
    }

    private void checkSize(String topic, Message message) {
        long maxMessageBytes = settings.maxMessageBytes();
        long size = message.size();
        if (size > maxMessageBytes - 4096) {
            for (Map.Entry<String, String> h : message.headers().entrySet()) {
                size += h.getKey().length() + h.getValue().length();
            }
            if (size > maxMessageBytes) {
                throw new MessageTooLargeException(topic, size, maxMessageBytes);
            }
        }
    }

    @Override
    public CloudEventBinding cloudEventBinding() {
        return CLOUD_EVENTS;
    }
}
