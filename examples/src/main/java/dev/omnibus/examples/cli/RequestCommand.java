package dev.omnibus.examples.cli;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Message;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code omnibus request <topic> <body>}: sends a request and prints the reply body. */
@Command(name = "request", mixinStandardHelpOptions = true, description = "Send a request and print the reply.")
final class RequestCommand implements Callable<Integer> {
    @Mixin
    BrokerOption broker;

    @Parameters(index = "0", paramLabel = "TOPIC")
    String topic;

    @Parameters(index = "1", paramLabel = "BODY")
    String body;

    @Option(names = {"-t", "--timeout"}, defaultValue = "PT5S", description = "ISO-8601 duration (default: ${DEFAULT-VALUE})")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        try (Broker b = broker.connect()) {
            Message reply = b.request(topic, Message.of(body), timeout).get();
            System.out.println(reply.bodyAsString());
            return 0;
        } catch (ExecutionException e) {
            throw new OmnibusCli.TimeoutExit(e.getCause().getMessage());
        }
    }
}
