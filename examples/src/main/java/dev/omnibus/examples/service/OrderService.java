package dev.omnibus.examples.service;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A service compiled against {@code broker-api} only. Which broker it runs on is decided by the
 * runtime classpath (the one backend jar present) or by {@code OMNIBUS_BROKER_URL}; there is no
 * code that knows the broker kind.
 *
 * <p>It takes orders from a queue group, prices them through request/reply and publishes the
 * result, then prints a one-line summary and exits 0 (1 if anything went missing).
 */
public final class OrderService {
    private OrderService() {
    }

    public static void main(String[] args) throws Exception {
        int orders = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        String run = Long.toString(System.nanoTime() % 1_000_000, 36);
        try (Broker broker = Brokers.fromEnvironment()) {
            broker.connect();
            System.out.println("order-service running on " + broker.name() + " at " + broker.address());

            broker.subscribe("shop" + run + ".prices.quote",
                    e -> e.reply(Message.of(e.message().bodyAsString() + "=9.99")));

            AtomicInteger priced = new AtomicInteger();
            CountDownLatch shipped = new CountDownLatch(orders);
            broker.subscribe("shop" + run + ".orders.shipped", e -> shipped.countDown());
            broker.subscribe("shop" + run + ".orders.created", e -> {
                Message quote = broker.request("shop" + run + ".prices.quote", e.message(), Duration.ofSeconds(5)).get();
                priced.incrementAndGet();
                broker.publish("shop" + run + ".orders.shipped", quote);
            }, SubscribeOptions.builder().queue("order-service").build());

            for (int i = 1; i <= orders; i++) {
                broker.publish("shop" + run + ".orders.created", Message.of("order-" + i));
            }
            boolean done = shipped.await(30, TimeUnit.SECONDS);
            System.out.println("order-service on " + broker.name() + ": " + orders + " orders taken, " + priced.get()
                    + " priced, " + (orders - shipped.getCount()) + " shipped");
            if (!done) {
                System.exit(1);
            }
        }
    }
}
