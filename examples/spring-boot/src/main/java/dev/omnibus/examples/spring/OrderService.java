package dev.omnibus.examples.spring;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.event.EventBus;
import dev.omnibus.examples.spring.Orders.Line;
import dev.omnibus.examples.spring.Orders.OrderBilled;
import dev.omnibus.examples.spring.Orders.OrderPlaced;
import dev.omnibus.examples.spring.Orders.PriceQuote;
import dev.omnibus.examples.spring.Orders.PriceRequest;
import dev.omnibus.spring.boot.listener.OmnibusListener;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Service;

/** Places orders (a typed event), asks prices (request/reply), and follows what billing did. */
@Service
public class OrderService {
    private final EventBus events;
    private final Broker broker;
    private final String prefix;
    private final List<OrderBilled> billed = new CopyOnWriteArrayList<>();

    /** Uses the auto-configured event bus and broker. */
    public OrderService(EventBus events, Broker broker, @Value("${orders.topic-prefix}") String prefix) {
        this.events = events;
        this.broker = broker;
        this.prefix = prefix;
    }

    /** Publishes an {@link OrderPlaced} event and returns the new order's id. */
    public String place(String customer, List<Line> lines) {
        String id = "o-" + UUID.randomUUID().toString().substring(0, 8);
        events.publish(prefix + ".placed", new OrderPlaced(id, customer, lines, Instant.now()), Map.of("tenant", "demo"));
        return id;
    }

    /** Asks billing what {@code lines} cost. */
    public PriceQuote price(List<Line> lines) throws Exception {
        Message reply = broker.request(prefix + ".price", events.toMessage(new PriceRequest(lines), Map.of()), Duration.ofSeconds(5))
                .get();
        return events.decode(reply, PriceQuote.class);
    }

    /** Records billed orders, as a downstream service would. */
    @OmnibusListener(topic = "${orders.topic-prefix}.billed")
    void onBilled(OrderBilled event) {
        billed.add(event);
    }

    /** The {@link OrderBilled} events seen so far. */
    public List<OrderBilled> billed() {
        return List.copyOf(billed);
    }
}
