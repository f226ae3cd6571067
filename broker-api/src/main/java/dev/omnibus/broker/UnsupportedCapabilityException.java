package dev.omnibus.broker;

/** Something was asked of a backend that does not declare the capability it needs. */
public class UnsupportedCapabilityException extends BrokerException {
    private final Capability capability;

    public UnsupportedCapabilityException(String brokerName, Capability capability, String what) {
        super(what + " needs capability " + capability + ", which the '" + brokerName
                + "' broker does not declare; use a backend that declares it (see Broker.capabilities())");
        this.capability = capability;
    }

    public Capability capability() {
        return capability;
    }
}
