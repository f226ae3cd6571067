package dev.omnibus.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.omnibus.examples.spring.Orders.Line;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/** The order service in a real Spring context; subclasses pick the broker. Each subclass has its own topic prefix. */
abstract class OrderServiceContract {
    static final String COMMON = "orders.demo=false";

    @Autowired
    OrderService orders;
    @Autowired
    BillingListener billing;
    @Autowired
    HealthIndicator omnibusHealthIndicator;

    @Test
    void aPlacedOrderIsBilledAndTheTypedEventArrives() {
        String id = orders.place("ada", List.of(new Line("beans", 2)));
        await().atMost(Duration.ofSeconds(15)).until(() -> orders.billed().stream().anyMatch(b -> b.orderId().equals(id)));
        assertThat(billing.billed()).containsEntry(id, new BigDecimal("19.00"));
    }

    @Test
    void priceRequestsAreAnswered() throws Exception {
        assertThat(orders.price(List.of(new Line("beans", 1), new Line("papers", 3))).total()).isEqualByComparingTo("38.00");
    }

    @Test
    void healthIsUp() {
        assertThat(omnibusHealthIndicator.health().getStatus()).isEqualTo(Status.UP);
    }
}
