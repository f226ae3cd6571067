package dev.omnibus.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.omnibus.broker.support.TopicIndex;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("Topics")
class TopicsTest {

    @Nested
    @DisplayName("validateTopic and validatePattern")
    class Validation {

        @ParameterizedTest(name = "[{index}] \"{0}\"")
        @ValueSource(strings = {"a", "orders", "orders.created", "a.b.c.d.e.f", "a-b_c.d1.E2", "ünïcödé.tøpic",
                "a:b.c/d", "x.y.z0", "_INBOX.node1.42", "日本.語"})
        @DisplayName("a concrete topic is accepted both as a publish topic and as a subscription pattern")
        void acceptsConcreteTopics(String topic) {
            assertThat(Topics.validateTopic(topic)).isEqualTo(topic);
            assertThat(Topics.validatePattern(topic)).isEqualTo(topic);
            assertThat(Topics.isPattern(topic)).isFalse();
        }

        @ParameterizedTest(name = "[{index}] \"{0}\"")
        @ValueSource(strings = {"*", ">", "a.*", "*.b", "a.>", "*.*.>", "a.*.c", "*.>", "a.b.*.d.>"})
        @DisplayName("'*' and a final '>' as whole tokens are accepted in a subscription pattern")
        void acceptsWildcardPatterns(String pattern) {
            assertThat(Topics.validatePattern(pattern)).isEqualTo(pattern);
            assertThat(Topics.isPattern(pattern)).isTrue();
        }

        @ParameterizedTest(name = "[{index}] \"{0}\" -> {1}")
        @CsvSource(delimiter = '|', value = {
                "a..b      | empty token at index 2",
                ".a        | empty token at index 0",
                "a.        | empty token at index 2",
                ".         | empty token at index 0",
                "a.b..     | empty token at index 4",
                "a*        | '*' inside token at index 1",
                "*a        | '*' inside token at index 0",
                "a.b*c     | '*' inside token at index 3",
                "a>b       | '>' inside token at index 1",
                ">a        | '>' inside token at index 0",
                "a.>>      | '>' inside token at index 2",
        })
        @DisplayName("a malformed name is rejected in both roles, naming the index and the rule")
        void rejectsMalformedNames(String name, String expected) {
            assertThatThrownBy(() -> Topics.validateTopic(name))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + name + "'")
                    .hasMessageContaining(expected);
            assertThatThrownBy(() -> Topics.validatePattern(name))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(expected);
        }

        @Test
        @DisplayName("the rule is stated: empty tokens say tokens are non-empty, wildcards inside tokens say whole tokens")
        void messagesStateTheRule() {
            assertThatThrownBy(() -> Topics.validateTopic("a..b"))
                    .hasMessageContaining("tokens are non-empty and separated by single dots");
            assertThatThrownBy(() -> Topics.validatePattern("ab*.c"))
                    .hasMessageContaining("only allowed as whole tokens");
        }

        @Test
        @DisplayName("an empty topic is rejected with a hint at the format")
        void rejectsEmpty() {
            assertThatThrownBy(() -> Topics.validateTopic(""))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("topic must not be empty")
                    .hasMessageContaining("orders.created");
            assertThatThrownBy(() -> Topics.validatePattern(""))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("subscription pattern must not be empty");
        }

        @Test
        @DisplayName("null is a NullPointerException saying what must not be null")
        void rejectsNull() {
            assertThatThrownBy(() -> Topics.validateTopic(null))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("topic must not be null");
            assertThatThrownBy(() -> Topics.validatePattern(null))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("pattern must not be null");
        }

        static Stream<Arguments> whitespaceAndControl() {
            return Stream.of(
                    Arguments.of("a b", 1), Arguments.of(" a", 0), Arguments.of("a ", 1),
                    Arguments.of("a\tb", 1), Arguments.of("a.b\nc", 3), Arguments.of("a\rb", 1),
                    Arguments.of("a\u0000b", 1), Arguments.of("a\u007fb", 1), Arguments.of("a\u0085b", 1),
                    Arguments.of("a\u2003b", 1), Arguments.of("a\u2028b", 1), Arguments.of("ab\u001b", 2));
        }

        @ParameterizedTest(name = "[{index}] index {1}")
        @MethodSource("whitespaceAndControl")
        @DisplayName("whitespace and control characters are rejected with their index")
        void rejectsWhitespaceAndControlCharacters(String name, int index) {
            assertThatThrownBy(() -> Topics.validateTopic(name))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("whitespace or a control character at index " + index);
            assertThatThrownBy(() -> Topics.validatePattern(name))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("at index " + index);
        }

        @Test
        @DisplayName("a control character is shown escaped in the message, never raw")
        void controlCharacterIsEscaped() {
            assertThatThrownBy(() -> Topics.validateTopic("a\u0001b"))
                    .hasMessageContaining("a\\u0001b")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\u0001"));
        }

        @ParameterizedTest
        @ValueSource(strings = {"a\u00a0b", "a\u2007b", "a\u202fb"})
        @DisplayName("no-break spaces are whitespace too and are rejected")
        void rejectsNoBreakSpaces(String name) {
            assertThatThrownBy(() -> Topics.validateTopic(name)).isInstanceOf(IllegalArgumentException.class);
        }

        @ParameterizedTest(name = "[{index}] \"{0}\"")
        @ValueSource(strings = {"a.*", "*", ">", "a.>", "*.b", "orders.*.created"})
        @DisplayName("a wildcard in a publish topic is rejected with a message about wildcards")
        void rejectsWildcardsInPublishTopics(String topic) {
            assertThatThrownBy(() -> Topics.validateTopic(topic))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("wildcard")
                    .hasMessageContaining("'" + topic + "'")
                    .hasMessageContaining("publish to a concrete topic");
        }

        @ParameterizedTest(name = "[{index}] \"{0}\"")
        @ValueSource(strings = {">.a", "a.>.b", ">.>", "a.>.*"})
        @DisplayName("'>' anywhere but the last token of a pattern is rejected")
        void rejectsNonFinalGreaterThan(String pattern) {
            assertThatThrownBy(() -> Topics.validatePattern(pattern))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + pattern + "'")
                    .hasMessageContaining("'>' may only be the final token");
        }

        @Test
        @DisplayName("255 ASCII bytes are accepted and 256 are rejected with both numbers in the message")
        void asciiLengthLimit() {
            String ok = "a".repeat(120) + "." + "b".repeat(134);
            assertThat(ok.getBytes(StandardCharsets.UTF_8)).hasSize(255);
            assertThatNoException().isThrownBy(() -> Topics.validateTopic(ok));
            assertThatNoException().isThrownBy(() -> Topics.validatePattern(ok));

            String tooLong = ok + "c";
            assertThatThrownBy(() -> Topics.validateTopic(tooLong))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("256 bytes")
                    .hasMessageContaining("limit is 255 bytes");
            assertThatThrownBy(() -> Topics.validatePattern(tooLong + ".>"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("258 bytes");
        }

        @ParameterizedTest(name = "[{index}] {0}-byte character")
        @CsvSource({"2, é", "3, €", "4, \uD83D\uDE00"})
        @DisplayName("the limit counts UTF-8 bytes: multibyte characters exactly at 255 pass, one more byte fails")
        void multibyteLengthLimit(int width, String ch) {
            assertThat(ch.getBytes(StandardCharsets.UTF_8)).hasSize(width);
            int count = 255 / width;
            String exact = ch.repeat(count) + "x".repeat(255 - count * width);
            assertThat(exact.getBytes(StandardCharsets.UTF_8)).hasSize(255);
            assertThatNoException().isThrownBy(() -> Topics.validateTopic(exact));

            String over = exact + "x";
            assertThatThrownBy(() -> Topics.validateTopic(over))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("256 bytes");

            String overByMultibyte = ch.repeat(count + 1);
            int bytes = overByMultibyte.getBytes(StandardCharsets.UTF_8).length;
            assertThat(bytes).isGreaterThan(255);
            assertThatThrownBy(() -> Topics.validateTopic(overByMultibyte))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(bytes + " bytes");
        }

        @Test
        @DisplayName("queue names allow letters, digits, '-', '_' and '.', up to 128 characters")
        void queueNames() {
            assertThat(Topics.validateQueueName("billing-v2_x.y")).isEqualTo("billing-v2_x.y");
            assertThat(Topics.validateQueueName("q".repeat(128))).hasSize(128);
            assertThatThrownBy(() -> Topics.validateQueueName("q".repeat(129)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("was 129");
            assertThatThrownBy(() -> Topics.validateQueueName("bad name"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'bad name'").hasMessageContaining("at index 3");
            assertThatThrownBy(() -> Topics.validateQueueName(null)).isInstanceOf(NullPointerException.class);
        }
    }

    @Nested
    @DisplayName("matches")
    class Matching {

        @ParameterizedTest(name = "[{index}] pattern \"{0}\" vs topic \"{1}\" -> {2}")
        @CsvSource({
                "a,           a,            true",
                "a,           b,            false",
                "a,           ab,           false",
                "ab,          a,            false",
                "a,           a.b,          false",
                "a.b,         a,            false",
                "a.b,         a.b,          true",
                "a.b,         a.c,          false",
                "a.b,         b.a,          false",
                "*,           a,            true",
                "*,           a.b,          false",
                "*.b,         a.b,          true",
                "*.b,         a.c,          false",
                "a.*,         a.b,          true",
                "a.*,         a,            false",
                "a.*,         a.b.c,        false",
                "*.*,         a.b,          true",
                "*.*,         a,            false",
                "*.*,         a.b.c,        false",
                "a.*.c,       a.b.c,        true",
                "a.*.c,       a.b.d,        false",
                ">,           a,            true",
                ">,           a.b.c,        true",
                "a.>,         a.b,          true",
                "a.>,         a.b.c.d,      true",
                "a.>,         a,            false",
                "a.>,         b.c,          false",
                "*.>,         a,            false",
                "*.>,         a.b,          true",
                "a.*.>,       a.b.c,        true",
                "a.*.>,       a.b,          false",
                "orders.*,    orders.created, true",
                "orders.*,    order.created,  false",
                "orders.>,    ordersx.created, false",
                "a.b.c,       a.b.cd,       false",
                "a.bc,        a.b.c,        false",
        })
        @DisplayName("table of pattern/topic pairs")
        void table(String pattern, String topic, boolean expected) {
            assertThat(Topics.matches(pattern, topic)).isEqualTo(expected);
        }

        @Test
        @DisplayName("Topics.matches, TopicIndex.match and a reference matcher agree on random patterns and topics")
        void agreesWithTopicIndexOnRandomInput() {
            Random random = new Random(20240611L);
            String[] alphabet = {"a", "b", "c"};
            Set<String> patterns = new LinkedHashSet<>();
            while (patterns.size() < 400) {
                int n = 1 + random.nextInt(4);
                List<String> tokens = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    int r = random.nextInt(alphabet.length + 2);
                    if (r < alphabet.length) {
                        tokens.add(alphabet[r]);
                    } else if (r == alphabet.length || i < n - 1) {
                        tokens.add("*");
                    } else {
                        tokens.add(">");
                    }
                }
                patterns.add(String.join(".", tokens));
            }
            TopicIndex<String> index = new TopicIndex<>();
            patterns.forEach(p -> index.add(p, p));

            int checkedMatches = 0;
            for (int round = 0; round < 300; round++) {
                int n = 1 + random.nextInt(5);
                List<String> tokens = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    tokens.add(alphabet[random.nextInt(alphabet.length)]);
                }
                String topic = String.join(".", tokens);
                Set<String> expected = patterns.stream().filter(p -> reference(p, topic)).collect(Collectors.toSet());
                Set<String> byTopics = patterns.stream().filter(p -> Topics.matches(p, topic)).collect(Collectors.toSet());
                List<String> byIndex = index.match(topic);
                assertThat(byTopics).as("Topics.matches for %s", topic).isEqualTo(expected);
                assertThat(byIndex).as("TopicIndex.match for %s", topic).doesNotHaveDuplicates()
                        .containsExactlyInAnyOrderElementsOf(expected);
                // second lookup comes from the cache and must be the same
                assertThat(index.match(topic)).containsExactlyInAnyOrderElementsOf(expected);
                checkedMatches += expected.size();
            }
            assertThat(checkedMatches).as("the random data must exercise real matches").isGreaterThan(300);
        }

        /** Independent token-list matcher used as the oracle. */
        private boolean reference(String pattern, String topic) {
            String[] p = pattern.split("\\.");
            String[] t = topic.split("\\.");
            for (int i = 0; i < p.length; i++) {
                if (p[i].equals(">")) {
                    return t.length > i;
                }
                if (i >= t.length) {
                    return false;
                }
                if (!p[i].equals("*") && !p[i].equals(t[i])) {
                    return false;
                }
            }
            return p.length == t.length;
        }
    }
}
