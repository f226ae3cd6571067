package dev.omnibus.examples.spring;

import org.springframework.boot.test.context.SpringBootTest;

/** The order service on RabbitMQ at 127.0.0.1:5672, guest/guest (CI starts it). */
@SpringBootTest(properties = {"omnibus.broker.url=amqp://127.0.0.1:5672", "omnibus.broker.username=guest",
        "omnibus.broker.password=guest", OrderServiceContract.COMMON, "orders.topic-prefix=it-rabbitmq"})
class OrderServiceRabbitMqTest extends OrderServiceContract {
}
