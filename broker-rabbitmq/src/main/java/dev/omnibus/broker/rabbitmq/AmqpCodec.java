package dev.omnibus.broker.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.LongString;
import dev.omnibus.broker.Headers;
import dev.omnibus.broker.Message;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Message to AMQP and back without an envelope: headers travel in the AMQP headers table, the
 * body as is. The id travels only as the standard {@code message_id} property (so a message with no
 * other header has no table to encode and parse); the content type, correlation id and reply-to are
 * also copied to their standard AMQP properties, so that services without Omnibus see them where
 * they expect them. All four are read from those properties when a foreign publisher sets only
 * them; an {@code id} in the table (older Omnibus, or a foreign publisher) wins over
 * {@code message_id}. A foreign header that is an AMQP timestamp reads as RFC 3339 in UTC
 * ({@code 2026-04-05T17:31:00Z}).
 */
final class AmqpCodec {
    /** The quorum queue's count of earlier deliveries of a message. */
    static final String DELIVERY_COUNT = "x-delivery-count";

    private static final Logger LOG = LoggerFactory.getLogger(AmqpCodec.class);
    private static final int PERSISTENT = 2;
    private static final int TRANSIENT = 1;
    /** The headers {@link #properties} sends as AMQP properties, and {@link #message} reads back from them. */
    private static final Set<String> AS_PROPERTY = Set.of(Headers.ID, Headers.CONTENT_TYPE, Headers.CORRELATION_ID, Headers.REPLY_TO);

    private AmqpCodec() {
    }

    static AMQP.BasicProperties properties(Message m, boolean persistent) {
        Map<String, String> h = m.headers();
        return new AMQP.BasicProperties.Builder()
                .headers(table(h))
                .messageId(m.id())
                .contentType(h.get(Headers.CONTENT_TYPE))
                .correlationId(h.get(Headers.CORRELATION_ID))
                .replyTo(h.get(Headers.REPLY_TO))
                .deliveryMode(persistent ? PERSISTENT : TRANSIENT)
                .build();
    }

    /**
     * The headers table: every header but those an AMQP property carries by itself, the id
     * ({@code message_id}) and, when not empty, {@code content-type}, {@code correlation-id} and
     * {@code reply-to}; null when that leaves none (a request or a reply has no table to encode
     * and parse). {@link #message} reads the properties back.
     */
    private static Map<String, Object> table(Map<String, String> h) {
        Map<String, Object> table = null;
        for (Map.Entry<String, String> e : h.entrySet()) {
            // an empty value stays in the table: an empty property reads back as absent (a message's id is never empty)
            if (e.getValue().isEmpty() || !AS_PROPERTY.contains(e.getKey())) {
                if (table == null) {
                    table = new HashMap<>();
                }
                table.put(e.getKey(), e.getValue());
            }
        }
        return table;
    }

    /**
     * The delivery attempt (1 = first): a quorum queue's {@code x-delivery-count} (earlier deliveries,
     * kept by the server across consumer crashes) plus one; elsewhere 2 for a redelivery, which
     * is all a classic queue says.
     */
    static int attempt(com.rabbitmq.client.Envelope envelope, AMQP.BasicProperties p) {
        Map<String, Object> table = p.getHeaders();
        Object count = table == null ? null : table.get(DELIVERY_COUNT);
        if (count instanceof Number n) {
            return (int) Math.min(Integer.MAX_VALUE - 1, Math.max(0, n.longValue())) + 1;
        }
        return envelope.isRedeliver() ? 2 : 1;
    }

    static Message message(AMQP.BasicProperties p, byte[] body) {
        Map<String, String> h = new LinkedHashMap<>();
        Map<String, Object> table = p.getHeaders();
        if (table != null) {
            for (Map.Entry<String, Object> e : table.entrySet()) {
                if (e.getValue() != null && !DELIVERY_COUNT.equals(e.getKey())) {
                    h.put(e.getKey(), text(e.getValue()));
                }
            }
        }
        putIfAbsent(h, Headers.ID, p.getMessageId());
        putIfAbsent(h, Headers.CONTENT_TYPE, p.getContentType());
        putIfAbsent(h, Headers.CORRELATION_ID, p.getCorrelationId());
        putIfAbsent(h, Headers.REPLY_TO, p.getReplyTo());
        try {
            return Message.wrap(h, body);
        } catch (IllegalArgumentException e) {
            return Message.wrap(validOnly(h), body);
        }
    }

    private static void putIfAbsent(Map<String, String> h, String name, String value) {
        if (value != null && !value.isEmpty()) {
            h.putIfAbsent(name, value);
        }
    }

    private static String text(Object v) {
        if (v instanceof LongString || v instanceof String) {
            return v.toString();
        }
        if (v instanceof byte[]) {
            return new String((byte[]) v, StandardCharsets.UTF_8);
        }
        if (v instanceof Date d) {
            // an AMQP timestamp: RFC 3339 in UTC, as a CloudEvents 'time' and other readers expect
            return d.toInstant().toString();
        }
        return String.valueOf(v);
    }

    // a foreign publisher may send header names or values Message does not allow: keep the rest
    private static Map<String, String> validOnly(Map<String, String> h) {
        Map<String, String> ok = new LinkedHashMap<>();
        Message.Builder probe = Message.builder();
        h.forEach((k, v) -> {
            try {
                probe.header(k, v);
                ok.put(k, v);
            } catch (IllegalArgumentException e) {
                LOG.debug("Dropping AMQP header '{}' that is not a valid Omnibus header: {}", k, e.getMessage());
            }
        });
        return ok;
    }
}
