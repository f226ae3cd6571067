package dev.omnibus.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("Message")
class MessageTest {

    @Test
    @DisplayName("a message built without an id gets a random 32-hex-character id")
    void idGenerated() {
        Message m = Message.of("x");
        assertThat(m.id()).matches("[0-9a-f]{32}");
        assertThat(m.header(Headers.ID)).isEqualTo(m.id());
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            ids.add(Message.of("x").id());
        }
        assertThat(ids).as("ids are unique").hasSize(1000);
    }

    @Test
    @DisplayName("an id set by the caller is kept, and an empty id is replaced by a generated one")
    void idKept() {
        assertThat(Message.builder().id("order-42").build().id()).isEqualTo("order-42");
        assertThat(Message.builder().header(Headers.ID, "h-1").build().id()).isEqualTo("h-1");
        assertThat(Message.builder().id("").build().id()).matches("[0-9a-f]{32}");
    }

    @Test
    @DisplayName("a message's id is stable: reading it twice and deriving with toBuilder keep it")
    void idStable() {
        Message m = Message.of("x");
        assertThat(m.id()).isEqualTo(m.id());
        assertThat(m.toBuilder().build().id()).isEqualTo(m.id());
        assertThat(m.toBuilder().removeHeader(Headers.ID).build().id()).isNotEqualTo(m.id());
    }

    @Test
    @DisplayName("a generated id is drawn when the message is made: the same from every thread that reads it, in id(), header() and headers()")
    void generatedIdSameEverywhere() throws Exception {
        for (int i = 0; i < 200; i++) {
            Message m = i % 2 == 0 ? Message.of(new byte[] {1}) : Message.wrap(Map.of(), new byte[] {1});
            String[] seen = new String[4];
            Thread[] readers = new Thread[seen.length];
            for (int t = 0; t < readers.length; t++) {
                int k = t;
                readers[t] = new Thread(() -> seen[k] = k % 2 == 0 ? m.id() : m.headers().get(Headers.ID));
                readers[t].start();
            }
            for (Thread t : readers) {
                t.join(5000);
            }
            assertThat(seen).containsOnly(m.id());
            assertThat(m.header(Headers.ID)).isEqualTo(m.id());
            assertThat(m.headers()).containsExactly(Map.entry(Headers.ID, m.id()));
            assertThat(m).isEqualTo(Message.wrap(Map.of(Headers.ID, m.id()), new byte[] {1}))
                    .hasSameHashCodeAs(Message.wrap(Map.of(Headers.ID, m.id()), new byte[] {1}));
        }
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            ids.add(Message.of(new byte[0]).id());
        }
        assertThat(ids).as("ids are unique").hasSize(100_000).allMatch(id -> id.matches("[0-9a-f]{32}"));
    }

    @Test
    @DisplayName("the headers map is unmodifiable and in insertion order")
    void headersUnmodifiable() {
        Message m = Message.builder().header("b", "2").header("a", "1").build();
        assertThatThrownBy(() -> m.headers().put("c", "3")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> m.headers().remove("a")).isInstanceOf(UnsupportedOperationException.class);
        assertThat(m.headers().keySet()).containsExactly("b", "a", Headers.ID);
    }

    @Test
    @DisplayName("changing the builder or the map given to it after build() does not change the message")
    void builderDoesNotLeak() {
        Map<String, String> input = new LinkedHashMap<>();
        input.put("k", "v");
        Message.Builder b = Message.builder().headers(input).body("one");
        Message m = b.build();
        input.put("k", "changed");
        b.header("k", "other").header("extra", "x").body("two");
        assertThat(m.header("k")).isEqualTo("v");
        assertThat(m.header("extra")).isNull();
        assertThat(m.bodyAsString()).isEqualTo("one");
        assertThat(b.build().header("k")).isEqualTo("other");
    }

    @Test
    @DisplayName("of(byte[]) and builder().body(byte[]) copy the caller's array")
    void bodyCopied() {
        byte[] mine = {1, 2, 3};
        Message m = Message.of(mine);
        Message b = Message.builder().body(mine).build();
        mine[0] = 99;
        assertThat(m.body()).containsExactly(1, 2, 3);
        assertThat(b.body()).containsExactly(1, 2, 3);
        assertThat(m.size()).isEqualTo(3);
    }

    @Test
    @DisplayName("wrap does not copy the array (backends hand it over) but validates headers and adds an id")
    void wrap() {
        byte[] body = {7};
        Message m = Message.wrap(Map.of("content-type", "text/plain"), body);
        assertThat(m.body()).isSameAs(body);
        assertThat(m.id()).isNotNull();
        assertThat(Message.wrap(null, body).id()).isNotNull();
        assertThatThrownBy(() -> Message.wrap(Map.of("bad name", "v"), body)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("toBuilder derives a variant with the same headers and body, leaving the original intact")
    void toBuilder() {
        Message original = Message.builder().contentType("application/json").correlationId("c-1").body("{}").build();
        Message variant = original.toBuilder().header("x-extra", "1").build();
        assertThat(variant.headers()).containsAllEntriesOf(original.headers()).containsEntry("x-extra", "1");
        assertThat(variant.body()).isEqualTo(original.body());
        assertThat(original.header("x-extra")).isNull();
        assertThat(original.header(Headers.CONTENT_TYPE)).isEqualTo("application/json");
        assertThat(original.header(Headers.CORRELATION_ID)).isEqualTo("c-1");
    }

    @Test
    @DisplayName("withHeader derives the same message as toBuilder().header(..).build(): same id and body, the header set or replaced, the original intact")
    void withHeader() {
        Message generated = Message.of("x");
        Message derived = generated.withHeader(Headers.CORRELATION_ID, "c-1");
        assertThat(derived).isEqualTo(generated.toBuilder().correlationId("c-1").build());
        assertThat(derived.id()).isEqualTo(generated.id());
        assertThat(derived.headers()).containsExactly(Map.entry(Headers.ID, generated.id()), Map.entry(Headers.CORRELATION_ID, "c-1"));
        assertThat(generated.headers()).containsOnlyKeys(Headers.ID);

        Message replaced = derived.withHeader(Headers.CORRELATION_ID, "c-2");
        assertThat(replaced.header(Headers.CORRELATION_ID)).isEqualTo("c-2");
        assertThat(derived.header(Headers.CORRELATION_ID)).isEqualTo("c-1");
        assertThat(replaced.withHeader(Headers.ID, "").id()).as("an empty id is replaced by a new one, as in the builder")
                .matches("[0-9a-f]{32}").isNotEqualTo(generated.id());

        assertThatThrownBy(() -> generated.withHeader("bad name", "v")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bad name");
        assertThatThrownBy(() -> generated.withHeader("x-n", null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    @DisplayName("bodyAsString decodes UTF-8, and of(String) encodes UTF-8")
    void utf8() {
        String text = "grüße, 世界 \uD83D\uDE00";
        Message m = Message.of(text);
        assertThat(m.body()).isEqualTo(text.getBytes(StandardCharsets.UTF_8));
        assertThat(m.bodyAsString()).isEqualTo(text);
        assertThat(Message.of(text.getBytes(StandardCharsets.UTF_8)).bodyAsString()).isEqualTo(text);
        assertThat(Message.of("").size()).isZero();
        assertThat(Message.builder().build().body()).isEmpty();
    }

    @Test
    @DisplayName("equals and hashCode cover headers (including id) and body content")
    void equality() {
        Message a = Message.builder().id("1").header("k", "v").body(new byte[] {1, 2}).build();
        Message same = Message.builder().id("1").header("k", "v").body(new byte[] {1, 2}).build();
        assertThat(a).isEqualTo(same).hasSameHashCodeAs(same);
        assertThat(a).isNotEqualTo(Message.builder().id("2").header("k", "v").body(new byte[] {1, 2}).build());
        assertThat(a).isNotEqualTo(Message.builder().id("1").header("k", "w").body(new byte[] {1, 2}).build());
        assertThat(a).isNotEqualTo(Message.builder().id("1").header("k", "v").body(new byte[] {1, 3}).build());
        assertThat(a).isNotEqualTo(null).isNotEqualTo("1");
        assertThat(Message.of("x")).as("different generated ids").isNotEqualTo(Message.of("x"));
    }

    @Test
    @DisplayName("toString shows id and sizes but not the body")
    void toStringHidesBody() {
        Message m = Message.builder().id("abc").body("secret-body").build();
        assertThat(m.toString()).contains("abc").contains("11 bytes").doesNotContain("secret-body");
    }

    @Test
    @DisplayName("null bodies, names and values are NullPointerExceptions that say what to do")
    void nulls() {
        assertThatThrownBy(() -> Message.of((byte[]) null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("new byte[0]");
        assertThatThrownBy(() -> Message.of((String) null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("\"\"");
        assertThatThrownBy(() -> Message.builder().header(null, "v")).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("header name");
        assertThatThrownBy(() -> Message.builder().header("k", null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("'k'").hasMessageContaining("remove the header");
        assertThatThrownBy(() -> Message.builder().headers(null)).isInstanceOf(NullPointerException.class);
    }

    @ParameterizedTest(name = "[{index}] name \"{0}\"")
    @ValueSource(strings = {"bad name", "colon:name", "tab\tname", "nl\nname", "del\u007fname", " lead"})
    @DisplayName("a header name with a space, ':' or control character is rejected with the index")
    void badHeaderNames(String name) {
        int index = 0;
        while (name.charAt(index) > ' ' && name.charAt(index) != ':' && name.charAt(index) != 0x7f) {
            index++;
        }
        int expectedIndex = index;
        assertThatThrownBy(() -> Message.builder().header(name, "v"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("header name")
                .hasMessageContaining("at index " + expectedIndex)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("\t"));
    }

    @Test
    @DisplayName("an empty header name is rejected")
    void emptyHeaderName() {
        assertThatThrownBy(() -> Message.builder().header("", "v"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must not be empty");
    }

    @Test
    @DisplayName("a header value with a control character is rejected naming the header and index; tab and unicode are fine")
    void headerValues() {
        assertThatThrownBy(() -> Message.builder().header("x-note", "line1\nline2"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'x-note'").hasMessageContaining("index 5").hasMessageContaining("Base64");
        assertThatThrownBy(() -> Message.builder().header("x-note", "a\u007f"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("index 1");
        Message ok = Message.builder().header("x-note", "a\tb ü €").header("empty", "").build();
        assertThat(ok.header("x-note")).isEqualTo("a\tb ü €");
        assertThat(ok.header("empty")).isEmpty();
    }

    @Test
    @DisplayName("wrap keeps an id-only message's id, the order of other headers, and replaces an empty id")
    void wrapShapes() {
        byte[] body = {1};
        Message idOnly = Message.wrap(Map.of(Headers.ID, "abc"), body);
        assertThat(idOnly.id()).isEqualTo("abc");
        assertThat(idOnly.headers()).containsExactly(Map.entry(Headers.ID, "abc"));
        assertThat(idOnly.body()).isSameAs(body);
        assertThat(Message.wrap(Map.of(), body).id()).hasSize(32);
        assertThat(Message.wrap(Map.of(Headers.ID, ""), body).id()).hasSize(32);
        assertThatThrownBy(() -> Message.wrap(Map.of(Headers.ID, "a\nb"), body)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("control character");

        Map<String, String> ordered = new LinkedHashMap<>();
        ordered.put("b", "2");
        ordered.put(Headers.ID, "");
        ordered.put("a", "1");
        Message m = Message.wrap(ordered, body);
        assertThat(m.headers().keySet()).containsExactly("b", Headers.ID, "a");
        assertThat(m.id()).hasSize(32);
        ordered.put("c", "3");
        assertThat(m.headers()).doesNotContainKey("c"); // a copy, not a view
        assertThatThrownBy(() -> m.headers().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
    }
}
