package dev.omnibus.broker.event;

/**
 * Implemented by a {@link dev.omnibus.broker.Broker} whose protocol has a CloudEvents binding:
 * it tells {@link EventBus} how attributes travel as headers there. A broker that does not
 * implement it gets {@link CloudEventBinding#DEFAULT}.
 */
public interface CloudEventCapable {
    /** The binding of this broker's protocol; constant for the life of the broker. */
    CloudEventBinding cloudEventBinding();
}
