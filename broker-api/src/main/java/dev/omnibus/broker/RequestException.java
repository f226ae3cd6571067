package dev.omnibus.broker;

/** A request got no reply: it timed out, or (where the backend can tell) nobody subscribes. */
public class RequestException extends BrokerException {
    private final boolean noResponders;

    public RequestException(String message, boolean noResponders) {
        super(message);
        this.noResponders = noResponders;
    }

    /** True when the backend knew at once that no subscription could answer. */
    public boolean noResponders() {
        return noResponders;
    }
}
