package dev.omnibus.examples.cli;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.spi.BackendProperty;
import dev.omnibus.broker.spi.BrokerProvider;
import dev.omnibus.broker.Brokers;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code omnibus providers}: the backends on the classpath, what they can do and, with {@code --verbose}, their properties. */
@Command(name = "providers", mixinStandardHelpOptions = true, description = "List the broker backends on the classpath.")
final class ProvidersCommand implements Callable<Integer> {
    @Option(names = {"-v", "--verbose"}, description = "Also list each backend's properties: name, rule, default and meaning.")
    boolean verbose;

    @Override
    public Integer call() {
        for (BrokerProvider p : Brokers.providers()) {
            Broker b = p.create(BrokerOptions.of(p.defaultUrl()));
            System.out.printf("%-10s schemes=%s default=%s%n           capabilities=%s%n", p.name(),
                    new TreeSet<>(p.schemes()), b.address(), b.capabilities());
            if (verbose) {
                printProperties(p);
            }
        }
        return 0;
    }

    private static void printProperties(BrokerProvider p) {
        if (p.properties().isEmpty()) {
            System.out.println("           properties: none declared");
            return;
        }
        System.out.println("           properties (URL query parameters or BrokerOptions.property):");
        for (BackendProperty<?> property : p.properties()) {
            System.out.printf("             %s = %s (default %s)%n               %s%n", property.name(), property.rule(),
                    property.defaultText(), property.meaning());
        }
    }
}
