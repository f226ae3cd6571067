package dev.omnibus.broker;

import java.nio.charset.StandardCharsets;

/**
 * Topic rules shared by every backend.
 *
 * <p>A topic is one or more non-empty tokens separated by dots, at most {@value #MAX_BYTES}
 * bytes in UTF-8, without whitespace or control characters. A subscription pattern may also
 * use {@code *} as a whole token (exactly one token) and {@code >} as the whole last token
 * (one or more tokens). Published topics never contain {@code *} or {@code >}.
 *
 * <p>All methods throw {@link NullPointerException} for null and
 * {@link IllegalArgumentException} naming the bad token and the rule otherwise.
 */
public final class Topics {
    /** Longest topic, in UTF-8 bytes. */
    public static final int MAX_BYTES = 255;
    /** Longest queue group name, in characters. */
    public static final int MAX_QUEUE_LENGTH = 128;

    private Topics() {
    }

    /** Validates a topic to publish to: no wildcards. */
    public static String validateTopic(String topic) {
        check(topic, false);
        return topic;
    }

    /** Validates a subscription pattern: wildcards allowed. */
    public static String validatePattern(String pattern) {
        check(pattern, true);
        return pattern;
    }

    /** True if {@code pattern} contains a {@code *} or {@code >} token. */
    public static boolean isPattern(String pattern) {
        return pattern.indexOf('*') >= 0 || pattern.indexOf('>') >= 0;
    }

    /**
     * True if concrete {@code topic} matches {@code pattern}. Both must be valid; this method
     * does not validate them. For matching one topic against many patterns use
     * {@link dev.omnibus.broker.support.TopicIndex}.
     */
    public static boolean matches(String pattern, String topic) {
        int p = 0;
        int t = 0;
        int pl = pattern.length();
        int tl = topic.length();
        while (p < pl) {
            int pe = pattern.indexOf('.', p);
            if (pe < 0) {
                pe = pl;
            }
            if (t > tl) {
                return false;
            }
            if (pe - p == 1 && pattern.charAt(p) == '>') {
                return t < tl; // one or more remaining tokens
            }
            int te = topic.indexOf('.', t);
            if (te < 0) {
                te = tl;
            }
            if (t >= tl) {
                return false;
            }
            boolean star = pe - p == 1 && pattern.charAt(p) == '*';
            if (!star && (pe - p != te - t || !pattern.regionMatches(p, topic, t, pe - p))) {
                return false;
            }
            p = pe + 1;
            t = te + 1;
        }
        return t > tl;
    }

    /** Validates a queue group name: letters, digits, '-', '_' and '.', at most {@value #MAX_QUEUE_LENGTH}. */
    public static String validateQueueName(String queue) {
        if (queue == null) {
            throw new NullPointerException("queue group name must not be null");
        }
        if (queue.isEmpty() || queue.length() > MAX_QUEUE_LENGTH) {
            throw new IllegalArgumentException("queue group name must have 1 to " + MAX_QUEUE_LENGTH
                    + " characters, was " + queue.length());
        }
        for (int i = 0; i < queue.length(); i++) {
            char c = queue.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.')) {
                throw new IllegalArgumentException("queue group name '" + queue + "' has '" + c + "' at index " + i
                        + "; use letters, digits, '-', '_' and '.' only");
            }
        }
        return queue;
    }

    private static void check(String s, boolean pattern) {
        String what = pattern ? "subscription pattern" : "topic";
        if (s == null) {
            throw new NullPointerException(what + " must not be null");
        }
        if (s.isEmpty()) {
            throw new IllegalArgumentException(what + " must not be empty; use dot-separated tokens such as 'orders.created'");
        }
        int bytes = 0;
        int tokenStart = 0;
        int len = s.length();
        for (int i = 0; i <= len; i++) {
            char c = i < len ? s.charAt(i) : '.';
            if (c == '.') {
                if (i == tokenStart) {
                    throw new IllegalArgumentException(what + " '" + s + "' has an empty token at index " + i
                            + "; tokens are non-empty and separated by single dots");
                }
                int tl = i - tokenStart;
                char first = s.charAt(tokenStart);
                if (tl == 1 && (first == '*' || first == '>')) {
                    if (!pattern) {
                        throw new IllegalArgumentException("topic '" + s + "' contains wildcard '" + first
                                + "'; wildcards belong in subscriptions, publish to a concrete topic");
                    }
                    if (first == '>' && i != len) {
                        throw new IllegalArgumentException(what + " '" + s
                                + "' has '>' before the last token; '>' may only be the final token");
                    }
                }
                tokenStart = i + 1;
                if (i < len) {
                    bytes++;
                }
                continue;
            }
            if (c > ' ' && c < 0x7f && c != '*' && c != '>') {
                bytes++; // printable ASCII other than a wildcard, nearly every character of a topic: nothing more to check
                continue;
            }
            if (c <= ' ' || c == 0x7f || Character.isWhitespace(c) || Character.isSpaceChar(c) || Character.isISOControl(c)) {
                throw new IllegalArgumentException(what + " '" + printable(s) + "' has whitespace or a control character at index "
                        + i + "; topics are dot-separated tokens without spaces");
            }
            if ((c == '*' || c == '>') && !(isWholeToken(s, i))) {
                throw new IllegalArgumentException(what + " '" + s + "' has '" + c + "' inside token at index " + i
                        + "; '*' and '>' are only allowed as whole tokens of a subscription pattern");
            }
            bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;
        }
        if (bytes > MAX_BYTES) {
            throw new IllegalArgumentException(what + " is " + s.getBytes(StandardCharsets.UTF_8).length
                    + " bytes long; the limit is " + MAX_BYTES + " bytes in UTF-8 (starts with '"
                    + s.substring(0, Math.min(40, s.length())) + "...')");
        }
    }

    private static boolean isWholeToken(String s, int i) {
        return (i == 0 || s.charAt(i - 1) == '.') && (i == s.length() - 1 || s.charAt(i + 1) == '.');
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(c < ' ' || c == 0x7f ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return b.toString();
    }
}
