package dev.omnibus.examples.spring;

import org.springframework.boot.test.context.SpringBootTest;

/** The order service on NATS at 127.0.0.1:4222 with JetStream (CI starts it): the billing listener retries, so it needs acknowledgements. */
@SpringBootTest(properties = {"omnibus.broker.url=nats://127.0.0.1:4222",
        "omnibus.broker.properties.jetstream=true", OrderServiceContract.COMMON, "orders.topic-prefix=it-nats"})
class OrderServiceNatsTest extends OrderServiceContract {
}
