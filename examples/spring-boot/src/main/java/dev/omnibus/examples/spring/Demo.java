package dev.omnibus.examples.spring;

import static java.util.concurrent.TimeUnit.MILLISECONDS;

import dev.omnibus.examples.spring.Orders.Line;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.CommandLineRunner;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/** With {@code orders.demo=true}: asks a price, places an order, waits for it to be billed, and returns (the app exits). */
@Component
@ConditionalOnProperty(name = "orders.demo", havingValue = "true")
public class Demo implements CommandLineRunner {
    private static final Logger LOG = LoggerFactory.getLogger(Demo.class);
    private final OrderService orders;

    /** Drives {@code orders}. */
    public Demo(OrderService orders) {
        this.orders = orders;
    }

    @Override
    public void run(String... args) throws Exception {
        List<Line> lines = List.of(new Line("espresso-beans", 2), new Line("filter-papers", 1));
        LOG.info("Price of {}: {}", lines, orders.price(lines));
        String id = orders.place("ada", lines);
        long deadline = System.nanoTime() + MILLISECONDS.toNanos(5000);
        while (orders.billed().stream().noneMatch(b -> b.orderId().equals(id)) && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        LOG.info("Order {} billed: {}", id, orders.billed());
    }
}
