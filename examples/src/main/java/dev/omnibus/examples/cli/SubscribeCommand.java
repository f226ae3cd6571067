package dev.omnibus.examples.cli;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.SubscribeOptions;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code omnibus sub <pattern>}: prints messages as they arrive. */
@Command(name = "sub", mixinStandardHelpOptions = true, description = "Subscribe and print each message: topic, headers, body.")
final class SubscribeCommand implements Callable<Integer> {
    @Mixin
    BrokerOption broker;

    @Parameters(index = "0", paramLabel = "PATTERN", description = "Topic or pattern ('*' one token, final '>' the rest)")
    String pattern;

    @Option(names = {"-q", "--queue"}, description = "Join this queue group instead of broadcast")
    String queue;

    @Option(names = {"-c", "--count"}, description = "Exit after this many messages (default: run until interrupted)")
    Integer count;

    @Option(names = {"-t", "--timeout"}, description = "With --count: give up (exit 3) after this ISO-8601 duration, e.g. PT30S")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        int wanted = count == null ? Integer.MAX_VALUE : count;
        CountDownLatch done = new CountDownLatch(1);
        AtomicInteger seen = new AtomicInteger();
        try (Broker b = broker.connect()) {
            b.subscribe(pattern, e -> {
                int n = seen.incrementAndGet();
                if (n > wanted) {
                    return;
                }
                synchronized (System.out) {
                    System.out.println(e.topic() + " " + e.message().headers() + " " + e.message().bodyAsString());
                    System.out.flush();
                }
                if (n == wanted) {
                    done.countDown();
                }
            }, SubscribeOptions.builder().queue(queue).build());
            System.err.println("subscribed to " + pattern + (queue != null ? " in group " + queue : "") + " on " + b.address());
            if (timeout != null) {
                if (!done.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new OmnibusCli.TimeoutExit("received " + Math.min(seen.get(), wanted) + " of " + wanted
                            + " messages within " + timeout);
                }
            } else {
                done.await();
            }
        }
        return 0;
    }
}
