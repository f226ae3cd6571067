package dev.omnibus.examples.cli;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.spi.BrokerProvider;
import dev.omnibus.broker.Brokers;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code omnibus providers}: the backends on the classpath and what they can do. */
@Command(name = "providers", mixinStandardHelpOptions = true, description = "List the broker backends on the classpath.")
final class ProvidersCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        for (BrokerProvider p : Brokers.providers()) {
            Broker b = p.create(BrokerOptions.of(p.defaultUrl()));
            System.out.printf("%-10s schemes=%s default=%s%n           capabilities=%s%n", p.name(),
                    new TreeSet<>(p.schemes()), b.address(), b.capabilities());
        }
        return 0;
    }
}
