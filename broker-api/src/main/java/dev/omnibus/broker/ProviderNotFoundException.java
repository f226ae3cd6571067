package dev.omnibus.broker;

/** No broker provider, or more than one, matches what was asked of {@link Brokers}. */
public class ProviderNotFoundException extends BrokerException {
    public ProviderNotFoundException(String message) {
        super(message);
    }
}
