package dev.omnibus.broker;

/** A subscription's local buffer was full and its {@link OverflowPolicy} refused the message. */
public class BufferFullException extends PublishException {
    public BufferFullException(String message) {
        super(message);
    }
}
