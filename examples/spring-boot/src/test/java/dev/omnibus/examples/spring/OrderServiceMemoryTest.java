package dev.omnibus.examples.spring;

import org.springframework.boot.test.context.SpringBootTest;

/** The order service on the memory broker: no server needed. */
@SpringBootTest(properties = {"omnibus.broker.url=memory:", OrderServiceContract.COMMON, "orders.topic-prefix=it-memory"})
class OrderServiceMemoryTest extends OrderServiceContract {
}
