package dev.omnibus.broker;

/** A message exceeds the backend's size limit; the connection is unaffected. */
public class MessageTooLargeException extends PublishException {
    private final long size;
    private final long limit;

    public MessageTooLargeException(String topic, long size, long limit) {
        super("message of " + size + " bytes to topic '" + topic + "' exceeds the broker's limit of "
                + limit + " bytes; send a smaller message or raise the server's limit");
        this.size = size;
        this.limit = limit;
    }

    public long size() {
        return size;
    }

    public long limit() {
        return limit;
    }
}
