package dev.omnibus.examples.cli;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Brokers;
import picocli.CommandLine.Option;

/** Options every command shares: which broker, and how much to say about failures. */
final class BrokerOption {
    @Option(names = {"-b", "--broker"}, paramLabel = "URL",
            description = "Broker URL (default: $OMNIBUS_BROKER_URL, else memory:)")
    String url;

    @Option(names = "--verbose", description = "Print stack traces of failures")
    boolean verbose;

    String resolvedUrl() {
        return OmnibusCli.brokerUrl(url, "memory:");
    }

    /** A connected broker for the resolved URL. */
    Broker connect() {
        Broker broker = Brokers.create(resolvedUrl());
        broker.connect();
        return broker;
    }
}
