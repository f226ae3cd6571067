package dev.omnibus.broker.nats;

import dev.omnibus.broker.Headers;
import dev.omnibus.broker.Message;
import io.nats.client.impl.NatsMessage;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Messages on the wire: the body as is, Omnibus headers as NATS headers with the same names.
 *
 * <p>NATS headers are US-ASCII and jnats refuses anything else, while Omnibus headers are UTF-8.
 * A name or value that would not survive the trip (non-ASCII, empty, surrounding whitespace) is
 * sent as an RFC 2047 encoded word, {@code =?UTF-8?B?base64?=}, which MIME libraries of other
 * languages decode; everything else, including {@code id} and {@code content-type}, travels
 * verbatim.
 */
final class NatsWire {
    private static final Logger LOG = LoggerFactory.getLogger(NatsWire.class);
    private static final String ENCODED_PREFIX = "=?UTF-8?B?";
    private static final String ENCODED_SUFFIX = "?=";

    /** JetStream's de-duplication header. */
    static final String MSG_ID = "Nats-Msg-Id";

    private NatsWire() {
    }

    /**
     * Per thread, the mutable headers a message's are gathered in before the read-only copy that
     * travels: jnats copies mutable headers into a read-only set on every publish anyway, so
     * handing it a read-only set made from this scratch saves building (and dropping) a second
     * set of maps per message.
     */
    private static final ThreadLocal<io.nats.client.impl.Headers> SCRATCH = ThreadLocal.withInitial(io.nats.client.impl.Headers::new);

    static NatsMessage toNats(String subject, Message message) {
        return NatsMessage.builder().subject(subject).headers(headers(message, null, null)).data(message.body()).build();
    }

    /**
     * The NATS headers of {@code message} (all but reply-to, which NATS carries natively), plus
     * {@code extraName} when not null and not already there, read-only as jnats sends them.
     */
    private static io.nats.client.impl.Headers headers(Message message, String extraName, String extraValue) {
        io.nats.client.impl.Headers h = SCRATCH.get();
        h.clear();
        try {
            for (Map.Entry<String, String> e : message.headers().entrySet()) {
                if (e.getKey().equals(Headers.REPLY_TO)) {
                    continue; // NATS carries the reply subject natively
                }
                h.put(encode(e.getKey(), true), encode(e.getValue(), false));
            }
            if (extraName != null && !h.containsKey(extraName)) {
                h.put(extraName, extraValue);
            }
            return new io.nats.client.impl.Headers(h, true, null);
        } finally {
            h.clear();
        }
    }

    /**
     * {@link #toNats} for a JetStream publish: also {@value #MSG_ID} = {@code <message id>@<subject>},
     * so that the stream's duplicate window (2 minutes by default) drops a copy sent again after a
     * reconnect or a lost PubAck, answering it with a PubAck marked duplicate. The subject is part of
     * it because the window spans the whole stream: one message published to two topics (a dead letter
     * keeps its id) is two messages.
     */
    static NatsMessage toJetStream(String subject, Message message) {
        return NatsMessage.builder().subject(subject).headers(headers(message, MSG_ID, message.id() + "@" + subject))
                .data(message.body()).build();
    }

    /** Size the server counts against max_payload: headers plus body. */
    static long wireSize(NatsMessage m) {
        io.nats.client.impl.Headers h = m.getHeaders();
        return (long) m.getData().length + (h == null ? 0 : h.serializedLength());
    }

    /** The Omnibus message of {@code msg}; {@code replyTo}, when not null, becomes the reply-to header. */
    static Message fromNats(io.nats.client.Message msg, String replyTo) {
        io.nats.client.impl.Headers h = msg.getHeaders();
        byte[] body = msg.getData() == null ? new byte[0] : msg.getData();
        if (replyTo == null && h != null && h.size() == 1) {
            // the common case, a message whose only header is its id: no map to build
            String id = h.getFirst(Headers.ID);
            if (id != null && h.get(Headers.ID).size() == 1 && !id.startsWith(ENCODED_PREFIX)) {
                try {
                    return Message.wrap(Map.of(Headers.ID, id), body);
                } catch (IllegalArgumentException e) {
                    // not an id Omnibus allows: the general path below keeps what is valid
                }
            }
        }
        Map<String, String> headers = new LinkedHashMap<>(h == null ? 2 : (h.size() + 2) * 4 / 3 + 1);
        if (h != null && !h.isEmpty()) {
            for (Map.Entry<String, List<String>> e : h.entrySet()) {
                List<String> values = e.getValue();
                headers.put(decode(e.getKey()), decode(values.size() == 1 ? values.get(0) : String.join(",", values)));
            }
        }
        // the de-duplication header the JetStream publisher adds is no header of the user's
        String msgId = headers.get(MSG_ID);
        if (msgId != null && headers.get(Headers.ID) != null && msgId.startsWith(headers.get(Headers.ID) + "@")) {
            headers.remove(MSG_ID);
        }
        if (replyTo != null) {
            headers.put(Headers.REPLY_TO, replyTo);
        }
        try {
            return Message.wrap(headers, body);
        } catch (IllegalArgumentException e) {
            // a foreign publisher may send headers Omnibus does not allow: keep the valid ones
            LOG.debug("Dropping invalid headers of a message on '{}': {}", msg.getSubject(), e.getMessage());
            Message.Builder b = Message.builder();
            headers.forEach((k, v) -> {
                try {
                    b.header(k, v);
                } catch (IllegalArgumentException ignored) {
                    // skipped, see above
                }
            });
            return Message.wrap(b.build().headers(), body);
        }
    }

    static String encode(String s, boolean name) {
        if (needsEncoding(s, name)) {
            return ENCODED_PREFIX + Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8)) + ENCODED_SUFFIX;
        }
        return s;
    }

    static String decode(String s) {
        if (s.startsWith(ENCODED_PREFIX) && s.endsWith(ENCODED_SUFFIX) && s.length() >= ENCODED_PREFIX.length() + ENCODED_SUFFIX.length()) {
            try {
                return new String(Base64.getDecoder().decode(
                        s.substring(ENCODED_PREFIX.length(), s.length() - ENCODED_SUFFIX.length())), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException notBase64) {
                return s;
            }
        }
        return s;
    }

    private static boolean needsEncoding(String s, boolean name) {
        if (s.isEmpty() || s.startsWith("=?")) {
            return true;
        }
        if (!name && (s.charAt(0) == ' ' || s.charAt(s.length() - 1) == ' ')) {
            return true;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c > 126 || (name ? c <= ' ' || c == ':' : c < ' ')) {
                return true;
            }
        }
        return false;
    }

    /** True when {@code e} is the server's "no responders" (503): nothing took a request or, in JetStream, no stream a publish. */
    static boolean isNoResponders(Throwable e) {
        if (e instanceof io.nats.client.JetStreamStatusException jse) {
            return jse.getStatus() != null && jse.getStatus().getCode() == 503;
        }
        String msg = e.getMessage();
        return msg != null && msg.contains("503");
    }
}
