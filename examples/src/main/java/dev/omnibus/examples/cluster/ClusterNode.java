package dev.omnibus.examples.cluster;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * One process of the cluster demo, started by {@code omnibus cluster}. Arguments:
 * {@code <role> <url> <nodeId> <prefix> [orders] [ratePerSecond]}; roles {@code publisher},
 * {@code worker}, {@code audit}, {@code pricing}. It reports on stdout, one event per line
 * ({@code READY}, {@code SENT id}, {@code HANDLED id}, {@code AUDITED id}, {@code PRICED id},
 * {@code PUBLISHED n}, {@code BYE}), and stops gracefully when its stdin says {@code stop} or closes.
 * A line {@code status} on stdin makes it report {@code STATUS <text>}: its subscription's state
 * (buffered, drains, unsettled), and for a worker the handler calls started and finished and the
 * order in hand, so that a stalled run says where a missing order sits.
 */
public final class ClusterNode {
    private ClusterNode() {
    }

    public static void main(String[] args) throws Exception {
        String role = args[0];
        String prefix = args[3];
        Broker broker = Brokers.create(BrokerOptions.builder().url(args[1]).nodeId(args[2]).build());
        broker.connect();
        AtomicInteger count = new AtomicInteger();
        AtomicInteger started = new AtomicInteger();
        AtomicReference<String> inHand = new AtomicReference<>();
        AtomicReference<Object> subscription = new AtomicReference<>();
        String orders = prefix + ".orders.created";
        String quotes = prefix + ".prices.quote";
        switch (role) {
            case "worker":
                subscription.set(broker.subscribe(orders, e -> {
                    started.incrementAndGet();
                    inHand.set(e.message().bodyAsString() + " (attempt " + e.deliveryAttempt() + ")");
                    work(Duration.ofMillis(2));
                    report("HANDLED " + e.message().bodyAsString());
                    count.incrementAndGet();
                    inHand.set(null);
                }, SubscribeOptions.builder().queue(prefix + "-inventory").prefetch(5).build()));
                break;
            case "audit":
                subscription.set(broker.subscribe(orders, e -> {
                    started.incrementAndGet();
                    report("AUDITED " + e.message().bodyAsString());
                    count.incrementAndGet();
                }));
                break;
            case "pricing":
                broker.subscribe(quotes, e -> {
                    e.reply(Message.of("9.99"));
                    report("PRICED " + e.message().bodyAsString());
                    count.incrementAndGet();
                }, SubscribeOptions.builder().queue(prefix + "-pricing").concurrency(2).build());
                break;
            case "publisher":
                break;
            default:
                throw new IllegalArgumentException("unknown role '" + role + "'; use publisher, worker, audit or pricing");
        }
        report("READY");
        if (role.equals("publisher")) {
            publish(broker, orders, quotes, Integer.parseInt(args[4]), Integer.parseInt(args[5]));
        }
        waitForStop(() -> "started=" + started.get() + " finished=" + count.get() + " inHand=" + inHand.get()
                + " subscription=" + subscription.get() + " connected=" + broker.isConnected());
        broker.disconnect();
        report("BYE " + count.get());
    }

    private static void publish(Broker broker, String orders, String quotes, int n, int rate) throws Exception {
        long start = System.nanoTime();
        for (int i = 1; i <= n; i++) {
            String id = "order-" + i;
            Message price = null;
            while (price == null) {
                try {
                    price = broker.request(quotes, Message.of(id), Duration.ofSeconds(5)).get();
                } catch (ExecutionException e) {
                    report("RETRY " + id + " " + e.getCause().getMessage());
                }
            }
            broker.publish(orders, Message.builder().body(id).header("price", price.bodyAsString()).build());
            report("SENT " + id);
            long due = start + (long) (i * 1e9 / rate);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                work(Duration.ofNanos(wait));
            }
        }
        report("PUBLISHED " + n);
    }

    /** Pacing and simulated work; not synchronisation. */
    private static void work(Duration d) throws InterruptedException {
        Thread.sleep(d.toMillis(), (int) (d.toNanos() % 1_000_000));
    }

    private static void waitForStop(Supplier<String> status) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (line.trim().equals("stop")) {
                return;
            }
            if (line.trim().equals("status")) {
                report("STATUS " + status.get());
            }
        }
    }

    private static void report(String line) {
        synchronized (System.out) {
            System.out.println(line);
            System.out.flush();
        }
    }
}
