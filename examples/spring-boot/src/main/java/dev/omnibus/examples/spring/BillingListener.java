package dev.omnibus.examples.spring;

import dev.omnibus.broker.event.EventBus;
import dev.omnibus.examples.spring.Orders.Line;
import dev.omnibus.examples.spring.Orders.OrderBilled;
import dev.omnibus.examples.spring.Orders.OrderPlaced;
import dev.omnibus.examples.spring.Orders.PriceQuote;
import dev.omnibus.examples.spring.Orders.PriceRequest;
import dev.omnibus.spring.boot.listener.Header;
import dev.omnibus.spring.boot.listener.OmnibusListener;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/** Bills placed orders (a queue-group listener) and answers price requests (request/reply). */
@Component
public class BillingListener {
    private static final Logger LOG = LoggerFactory.getLogger(BillingListener.class);
    private static final BigDecimal UNIT_PRICE = new BigDecimal("9.50");

    private final EventBus events;
    private final String prefix;
    private final Map<String, BigDecimal> billed = new ConcurrentHashMap<>();

    /** Publishes {@link OrderBilled} on {@code events}, under topic prefix {@code orders.topic-prefix}. */
    public BillingListener(EventBus events, @Value("${orders.topic-prefix}") String prefix) {
        this.events = events;
        this.prefix = prefix;
    }

    /** Bills an order once per order id and announces it; a failure is retried, then dead-lettered. */
    @OmnibusListener(topic = "${orders.topic-prefix}.placed", queue = "billing", maxDeliveries = 3, retryDelay = "200ms",
            deadLetterTopic = "${orders.topic-prefix}.dead")
    public void onPlaced(OrderPlaced order, @Header(value = "tenant", required = false) String tenant) {
        BigDecimal total = total(order.lines());
        if (billed.putIfAbsent(order.orderId(), total) == null) {
            LOG.info("Billed order {} of {} (tenant {}): {}", order.orderId(), order.customer(), tenant, total);
            events.publish(prefix + ".billed", new OrderBilled(order.orderId(), total));
        }
    }

    /** Answers {@code orders.price} requests. */
    @OmnibusListener(topic = "${orders.topic-prefix}.price")
    public PriceQuote price(PriceRequest request) {
        return new PriceQuote(total(request.lines()), "EUR");
    }

    /** What was billed so far, by order id. */
    public Map<String, BigDecimal> billed() {
        return Map.copyOf(billed);
    }

    static BigDecimal total(List<Line> lines) {
        return lines.stream().map(l -> UNIT_PRICE.multiply(BigDecimal.valueOf(l.quantity()))).reduce(BigDecimal.ZERO, BigDecimal::add);
    }
}
