package dev.omnibus.examples.cli;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Message;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code omnibus pub <topic> <body>}: publishes one message (confirmed where the broker confirms). */
@Command(name = "pub", mixinStandardHelpOptions = true, description = "Publish a message and wait until the broker has it.")
final class PublishCommand implements Callable<Integer> {
    private static final long PROGRESS_INTERVAL_NANOS = 1_000_000_000L;

    @Mixin
    BrokerOption broker;

    @Parameters(index = "0", paramLabel = "TOPIC", description = "Topic, e.g. orders.created")
    String topic;

    @Parameters(index = "1", paramLabel = "BODY", description = "Message body (UTF-8)")
    String body;

    @Option(names = {"-H", "--header"}, paramLabel = "NAME=VALUE", description = "A header; repeatable")
    Map<String, String> headers = new LinkedHashMap<>();

    @Option(names = {"-n", "--count"}, defaultValue = "1", description = "How many copies to publish (default: ${DEFAULT-VALUE})")
    int count;

    @Override
    public Integer call() {
        try (Broker b = broker.connect()) {
            long nextProgress = System.nanoTime() + PROGRESS_INTERVAL_NANOS;
            for (int i = 0; i < count; i++) {
                Message m = Message.builder().body(body).headers(headers).build();
                b.publish(topic, m);
                if (count == 1) {
                    System.out.println("published " + m.id() + " to " + topic);
                } else if (System.nanoTime() > nextProgress) {
                    System.err.printf("published %,d of %,d%n", i + 1, count);
                    nextProgress = System.nanoTime() + PROGRESS_INTERVAL_NANOS;
                }
            }
            if (count > 1) {
                System.out.println("published " + count + " messages to " + topic);
            }
        }
        return 0;
    }
}
