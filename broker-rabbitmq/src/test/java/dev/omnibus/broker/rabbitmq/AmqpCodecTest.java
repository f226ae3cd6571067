package dev.omnibus.broker.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import dev.omnibus.broker.Headers;
import dev.omnibus.broker.Message;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** What a message looks like as AMQP properties, and back; no server needed (the kit checks the round trip on one). */
@DisplayName("AMQP properties of a message")
class AmqpCodecTest {
    private static final byte[] BODY = "order-42".getBytes(StandardCharsets.UTF_8);

    @Test
    @DisplayName("a message with only its id has no headers table: the id is the message_id property, and reads back")
    void onlyTheId() {
        Message m = Message.of(BODY);
        AMQP.BasicProperties p = AmqpCodec.properties(m, true);
        assertThat(p.getHeaders()).isNull();
        assertThat(p.getMessageId()).isEqualTo(m.id());
        assertThat(p.getDeliveryMode()).isEqualTo(2);
        Message back = AmqpCodec.message(p, BODY);
        assertThat(back.id()).isEqualTo(m.id());
        assertThat(back.headers()).isEqualTo(m.headers());
    }

    @Test
    @DisplayName("other headers travel in the table without the id; the standard ones also as properties; all read back")
    void headers() {
        Message m = Message.builder().body(BODY).header("tenant", "acme").header(Headers.CONTENT_TYPE, "text/plain")
                .header(Headers.CORRELATION_ID, "c-1").build();
        AMQP.BasicProperties p = AmqpCodec.properties(m, false);
        assertThat(p.getHeaders()).containsOnlyKeys("tenant", Headers.CONTENT_TYPE, Headers.CORRELATION_ID);
        assertThat(p.getMessageId()).isEqualTo(m.id());
        assertThat(p.getContentType()).isEqualTo("text/plain");
        assertThat(p.getCorrelationId()).isEqualTo("c-1");
        assertThat(p.getDeliveryMode()).isEqualTo(1);
        assertThat(AmqpCodec.message(p, BODY).headers()).isEqualTo(m.headers());
    }

    @Test
    @DisplayName("an id in the table (an older Omnibus, or a foreign publisher) wins over message_id")
    void tableIdWins() {
        AMQP.BasicProperties p = new AMQP.BasicProperties.Builder().headers(Map.of(Headers.ID, "from-table"))
                .messageId("from-property").build();
        assertThat(AmqpCodec.message(p, BODY).id()).isEqualTo("from-table");
    }

    @Test
    @DisplayName("a foreign message_id a Message cannot hold is dropped for a generated id, not a failed delivery")
    void invalidForeignId() {
        AMQP.BasicProperties p = new AMQP.BasicProperties.Builder().messageId("bad\u0001id").build();
        Message m = AmqpCodec.message(p, BODY);
        assertThat(m.id()).isNotEmpty().isNotEqualTo("bad\u0001id");
        assertThat(m.body()).isEqualTo(BODY);
    }

    @Test
    @DisplayName("a foreign message with no properties at all gets a generated id")
    void noProperties() {
        Message m = AmqpCodec.message(new AMQP.BasicProperties(), BODY);
        assertThat(m.id()).isNotEmpty();
        assertThat(m.headers()).containsOnlyKeys(Headers.ID);
    }
}
