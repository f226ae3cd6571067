package dev.omnibus.examples.spring;

import dev.omnibus.broker.event.EventType;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

/** The order service's messages. */
public final class Orders {
    private Orders() {
    }

    /** A line of an order. */
    public record Line(String sku, int quantity) {
    }

    /** Published on {@code orders.placed} when a customer places an order. */
    @EventType("order-placed")
    public record OrderPlaced(String orderId, String customer, List<Line> lines, Instant placedAt) {
    }

    /** Published on {@code orders.billed} once billing took an order. */
    @EventType("order-billed")
    public record OrderBilled(String orderId, BigDecimal total) {
    }

    /** Asked on {@code orders.price}: what would these lines cost? */
    public record PriceRequest(List<Line> lines) {
    }

    /** The answer to a {@link PriceRequest}. */
    public record PriceQuote(BigDecimal total, String currency) {
    }
}
