package dev.omnibus.broker.memory;

import dev.omnibus.broker.Message;

/** Where the bus sends a message matching a pattern: a broadcast subscription, a queue group or a reply inbox. */
interface Route {
    void deliver(String topic, Message message, int attempt);
}
