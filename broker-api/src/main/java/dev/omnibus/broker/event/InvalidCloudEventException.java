package dev.omnibus.broker.event;

/**
 * A CloudEvent breaks a rule of CloudEvents 1.0: thrown at publish (and by
 * {@link CloudEventAttributes.Builder#build()}) before anything is sent, and the reason a
 * received event is dead-lettered. The message names the attribute and the rule.
 */
public class InvalidCloudEventException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public InvalidCloudEventException(String message) {
        super(message);
    }

    public InvalidCloudEventException(String message, Throwable cause) {
        super(message, cause);
    }
}
