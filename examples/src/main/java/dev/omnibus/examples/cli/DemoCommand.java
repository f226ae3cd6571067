package dev.omnibus.examples.cli;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Headers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.event.EventBus;
import dev.omnibus.broker.event.ResourceEvent;
import dev.omnibus.broker.event.ResourceEvents;
import dev.omnibus.broker.event.ResourceKind;
import java.math.BigDecimal;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code omnibus demo}: a short story on two broker nodes — broadcast, a queue group sharing
 * work, request/reply and a poison message ending in the dead-letter topic.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Walk through broadcast, queue groups, request/reply and dead letters (default: in memory).")
final class DemoCommand implements Callable<Integer> {
    private static final Duration WAIT = Duration.ofSeconds(15);

    @Mixin
    BrokerOption broker;

    @Override
    public Integer call() throws Exception {
        String url = OmnibusCli.brokerUrl(broker.url, "memory://demo");
        String run = Long.toString(System.nanoTime() % 100_000, 36);
        try (Broker shop = node(url, "shop-" + run); Broker warehouse = node(url, "warehouse-" + run)) {
            say("Omnibus demo on %s (%s), two nodes: %s and %s", shop.name(), shop.address(),
                    shop.options().nodeId(), warehouse.options().nodeId());
            String prefix = "demo" + run;
            broadcast(shop, warehouse, prefix);
            queueGroup(shop, warehouse, prefix);
            requestReply(shop, warehouse, prefix);
            deadLetter(shop, warehouse, prefix);
            resourceEvents(shop, warehouse);
            say("");
            say("Done: every step behaved as promised.");
        }
        return 0;
    }

    private static Broker node(String url, String nodeId) {
        Broker b = Brokers.create(BrokerOptions.builder().url(url).nodeId(nodeId).build());
        b.connect();
        return b;
    }

    private void broadcast(Broker shop, Broker warehouse, String prefix) throws InterruptedException {
        step(1, "Broadcast: every subscription gets its own copy");
        String topic = prefix + ".orders.created";
        CountDownLatch both = new CountDownLatch(2);
        shop.subscribe(topic, e -> {
            say("  [shop/email]        order %s created -> sending confirmation e-mail", e.message().bodyAsString());
            both.countDown();
        });
        warehouse.subscribe(topic, e -> {
            say("  [warehouse/audit]   order %s created -> written to the audit log", e.message().bodyAsString());
            both.countDown();
        });
        say("  shop publishes %s: 42", topic);
        shop.publish(topic, Message.builder().body("42").contentType("text/plain").build());
        check(both.await(WAIT.toMillis(), TimeUnit.MILLISECONDS), "both subscribers received the order");
    }

    private void queueGroup(Broker shop, Broker warehouse, String prefix) throws InterruptedException {
        step(2, "Queue group: three workers share the work, each order handled once");
        String topic = prefix + ".orders.paid";
        Map<String, AtomicInteger> perWorker = new ConcurrentHashMap<>();
        CountDownLatch all = new CountDownLatch(9);
        SubscribeOptions group = SubscribeOptions.builder().queue(prefix + "-packers").build();
        for (int i = 1; i <= 3; i++) {
            String worker = "packer-" + i;
            (i == 1 ? shop : warehouse).subscribe(topic, e -> {
                perWorker.computeIfAbsent(worker, k -> new AtomicInteger()).incrementAndGet();
                say("  [%s]  packing order %s", worker, e.message().bodyAsString());
                all.countDown();
            }, group);
        }
        for (int order = 100; order < 109; order++) {
            shop.publish(topic, Message.of(Integer.toString(order)));
        }
        check(all.await(WAIT.toMillis(), TimeUnit.MILLISECONDS), "9 orders packed");
        say("  orders per worker: %s (9 in total, none twice)", new TreeMap<>(perWorker));
    }

    private void requestReply(Broker shop, Broker warehouse, String prefix) throws Exception {
        step(3, "Request/reply: the shop asks the pricing service for a quote");
        String topic = prefix + ".prices.quote";
        warehouse.subscribe(topic, e -> {
            String sku = e.message().bodyAsString();
            say("  [warehouse/pricing] quote requested for %s", sku);
            e.reply(Message.of(sku + " costs 19.99 EUR"));
        });
        Message reply = shop.request(topic, Message.of("sku-1"), WAIT).get();
        say("  [shop]              reply: %s (correlation-id %s)", reply.bodyAsString(), reply.header(Headers.CORRELATION_ID));
    }

    private void deadLetter(Broker shop, Broker warehouse, String prefix) throws InterruptedException {
        step(4, "Poison message: three failed attempts, then the dead-letter topic");
        String topic = prefix + ".orders.imported";
        String dead = prefix + ".orders.dead";
        if (!shop.capabilities().contains(dev.omnibus.broker.Capability.DEAD_LETTER)) {
            say("  skipped: the %s broker does not declare DEAD_LETTER", shop.name());
            return;
        }
        CountDownLatch deadLettered = new CountDownLatch(1);
        shop.subscribe(dead, e -> {
            say("  [shop/ops]          dead letter %s from %s after %s attempts: %s", e.message().bodyAsString(),
                    e.message().header(Headers.DEAD_LETTER_TOPIC), e.message().header(Headers.DEAD_LETTER_ATTEMPTS),
                    e.message().header(Headers.DEAD_LETTER_REASON));
            deadLettered.countDown();
        });
        warehouse.subscribe(topic, e -> {
            say("  [warehouse/import]  attempt %d on %s ... fails", e.deliveryAttempt(), e.message().bodyAsString());
            throw new IllegalArgumentException("not a valid order: " + e.message().bodyAsString());
        }, SubscribeOptions.builder().queue(prefix + "-importers").maxDeliveries(3)
                .redeliveryDelay(Duration.ofMillis(200)).deadLetterTopic(dead).build());
        shop.publish(topic, Message.of("{corrupt"));
        check(deadLettered.await(WAIT.toMillis(), TimeUnit.MILLISECONDS), "the poison message reached " + dead);
    }

    /** A resource of the demo: modules react to its lifecycle without knowing each other. */
    @ResourceKind("demoproduct")
    public record Product(String sku, String name, BigDecimal price) {
    }

    private void resourceEvents(Broker shop, Broker warehouse) throws InterruptedException {
        step(5, "Typed resource events: the catalogue changes a product, the warehouse reacts");
        CountDownLatch three = new CountDownLatch(3);
        new ResourceEvents(EventBus.create(warehouse)).subscribe((event, delivery) -> {
            if (event instanceof ResourceEvent.Created<Product> c) {
                say("  [warehouse/stock]   new product %s (%s) -> stock record created (CloudEvent %s)", c.resource().sku(),
                        c.resource().name(), EventBus.create(warehouse).readCloudEvent(delivery.message(), Product.class)
                                .attributes().type());
            } else if (event instanceof ResourceEvent.Updated<Product> u) {
                say("  [warehouse/stock]   %s price %s -> %s", u.newResource().sku(), u.oldResource().price(), u.newResource().price());
            } else {
                say("  [warehouse/stock]   product %s deleted -> stock record archived", event.resource().sku());
            }
            three.countDown();
        }, Product.class);
        // published as CloudEvents (binary mode): any CloudEvents SDK reads them off the broker
        ResourceEvents catalogue = new ResourceEvents(EventBus.create(shop).withCloudEvents(URI.create("/demo/catalogue")));
        Product mug = new Product("sku-7", "Omnibus mug", new BigDecimal("9.90"));
        Product cheaper = new Product("sku-7", "Omnibus mug", new BigDecimal("7.90"));
        say("  [shop/catalogue]    publishing created, updated and deleted on resource.demoproduct.*");
        catalogue.publishCreated(mug);
        catalogue.publishUpdated(mug, cheaper);
        catalogue.publishDeleted(cheaper);
        check(three.await(WAIT.toMillis(), TimeUnit.MILLISECONDS), "the warehouse saw created, updated and deleted as typed values");
    }

    private static void step(int n, String title) {
        say("");
        say("%d. %s", n, title);
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("demo step failed: expected " + what + " within " + WAIT);
        }
        say("  ok: %s", what);
    }

    private static void say(String format, Object... args) {
        synchronized (System.out) {
            System.out.println(String.format(format, args));
            System.out.flush();
        }
    }
}
