package dev.omnibus.broker.kafka;

import dev.omnibus.broker.Headers;
import dev.omnibus.broker.Message;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * A message on the wire: its headers are the record's headers (UTF-8 values), its body the value,
 * as is; the key is the value of the {@code keyHeader} header when configured and present, else the
 * message id. So plain Kafka clients read and write Omnibus messages.
 */
final class KafkaWire {
    private KafkaWire() {
    }

    static ProducerRecord<byte[], byte[]> record(String topic, Message m, String keyHeader) {
        RecordHeaders headers = new RecordHeaders();
        String keyName = keyHeader != null && m.header(keyHeader) != null ? keyHeader : Headers.ID;
        byte[] key = null;
        for (Map.Entry<String, String> h : m.headers().entrySet()) {
            byte[] value = h.getValue().getBytes(StandardCharsets.UTF_8);
            headers.add(h.getKey(), value);
            if (h.getKey().equals(keyName)) {
                key = value; // the same bytes serve as the key: encoded once (Kafka does not modify them)
            }
        }
        return new ProducerRecord<>(topic, null, key, m.body(), headers);
    }

    /** The message of a record; a record without an {@code id} header (a plain producer's) gets one. */
    static Message message(ConsumerRecord<byte[], byte[]> r) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (Header h : r.headers()) {
            headers.put(h.key(), h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8));
        }
        byte[] body = r.value() == null ? new byte[0] : r.value();
        try {
            return Message.wrap(headers, body);
        } catch (IllegalArgumentException e) {
            // a foreign producer's header Omnibus cannot carry (a control character, say): keep the others
            Message.Builder b = Message.builder().body(body);
            headers.forEach((k, v) -> {
                try {
                    b.header(k, v);
                } catch (IllegalArgumentException skipped) {
                    // dropped; the body and the other headers still arrive
                }
            });
            return b.build();
        }
    }
}
