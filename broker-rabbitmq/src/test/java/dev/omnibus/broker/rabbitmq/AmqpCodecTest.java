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
    @DisplayName("other headers travel in the table; the id and the standard ones only as properties; all read back")
    void headers() {
        Message m = Message.builder().body(BODY).header("tenant", "acme").header(Headers.CONTENT_TYPE, "text/plain")
                .header(Headers.CORRELATION_ID, "c-1").header(Headers.REPLY_TO, "omnibus.reply.n1").build();
        AMQP.BasicProperties p = AmqpCodec.properties(m, false);
        assertThat(p.getHeaders()).containsOnlyKeys("tenant");
        assertThat(p.getMessageId()).isEqualTo(m.id());
        assertThat(p.getContentType()).isEqualTo("text/plain");
        assertThat(p.getCorrelationId()).isEqualTo("c-1");
        assertThat(p.getReplyTo()).isEqualTo("omnibus.reply.n1");
        assertThat(p.getDeliveryMode()).isEqualTo(1);
        assertThat(AmqpCodec.message(p, BODY).headers()).isEqualTo(m.headers());
    }

    @Test
    @DisplayName("a request or a reply (id, correlation-id, reply-to) has no headers table at all")
    void requestHasNoTable() {
        Message m = Message.builder().body(BODY).header(Headers.CORRELATION_ID, Message.newId())
                .header(Headers.REPLY_TO, "omnibus.reply.n1").build();
        AMQP.BasicProperties p = AmqpCodec.properties(m, true);
        assertThat(p.getHeaders()).isNull();
        assertThat(AmqpCodec.message(p, BODY).headers()).isEqualTo(m.headers());
    }

    @Test
    @DisplayName("a standard header with an empty value stays in the table, since an empty property reads back as absent")
    void emptyStandardHeader() {
        Message m = Message.builder().body(BODY).header(Headers.CONTENT_TYPE, "").build();
        AMQP.BasicProperties p = AmqpCodec.properties(m, true);
        assertThat(p.getHeaders()).containsOnlyKeys(Headers.CONTENT_TYPE);
        assertThat(AmqpCodec.message(p, BODY).headers()).isEqualTo(m.headers());
    }

    @Test
    @DisplayName("a message of an older Omnibus, with the standard headers in the table as well, reads the same")
    void olderWireReadsTheSame() {
        Map<String, Object> table = Map.of(Headers.CORRELATION_ID, "c-1", Headers.REPLY_TO, "omnibus.reply.n1");
        AMQP.BasicProperties p = new AMQP.BasicProperties.Builder().headers(table).messageId("m-1").correlationId("c-1")
                .replyTo("omnibus.reply.n1").build();
        assertThat(AmqpCodec.message(p, BODY).headers()).containsOnly(Map.entry(Headers.ID, "m-1"),
                Map.entry(Headers.CORRELATION_ID, "c-1"), Map.entry(Headers.REPLY_TO, "omnibus.reply.n1"));
    }

    @Test
    @DisplayName("a standard header in the table wins over its property, as the id does")
    void tableEntryWins() {
        AMQP.BasicProperties p = new AMQP.BasicProperties.Builder().headers(Map.of(Headers.CORRELATION_ID, "from-table"))
                .correlationId("from-property").build();
        assertThat(AmqpCodec.message(p, BODY).header(Headers.CORRELATION_ID)).isEqualTo("from-table");
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
