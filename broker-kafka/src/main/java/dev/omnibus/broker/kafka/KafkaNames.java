package dev.omnibus.broker.kafka;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * How Omnibus names map to Kafka names: an Omnibus topic is the Kafka topic of the same name (Kafka
 * allows {@code [a-zA-Z0-9._-]}, at most {@value #MAX_TOPIC} characters); a pattern becomes the
 * regex of a pattern subscription; queue groups, node groups and reply topics get deterministic
 * names from the prefix.
 */
final class KafkaNames {
    static final int MAX_TOPIC = 249;
    private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]+");

    private KafkaNames() {
    }

    /** Fails unless Kafka can hold {@code topic} (already a valid Omnibus topic), saying the rule. */
    static void checkTopic(String topic) {
        if (topic.isEmpty() || topic.length() > MAX_TOPIC || !legalChars(topic)) {
            throw new IllegalArgumentException("topic '" + topic + "' cannot be a Kafka topic: Kafka topics are at most "
                    + MAX_TOPIC + " characters of [a-zA-Z0-9._-]; use only letters, digits, '-' and '_' in the tokens");
        }
    }

    /** Whether every character is one of {@code [a-zA-Z0-9._-]} (what {@link #LEGAL} matches; a loop, as publish checks every topic). */
    private static boolean legalChars(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    /** Fails unless every literal token of {@code pattern} is legal in a Kafka topic. */
    static void checkPattern(String pattern) {
        for (String token : pattern.split("\\.")) {
            if (!token.equals("*") && !token.equals(">") && !LEGAL.matcher(token).matches()) {
                throw new IllegalArgumentException("pattern '" + pattern + "' can match no Kafka topic: token '" + token
                        + "' has characters outside [a-zA-Z0-9._-]");
            }
        }
        if (pattern.length() > MAX_TOPIC) {
            throw new IllegalArgumentException("pattern '" + pattern + "' is longer than the " + MAX_TOPIC
                    + " characters of a Kafka topic, so it can match none");
        }
    }

    /** The regex of {@code pattern}: {@code *} one token ({@code [^.]+}), a final {@code >} one or more ({@code .+}). */
    static Pattern regex(String pattern) {
        StringBuilder b = new StringBuilder();
        String[] tokens = pattern.split("\\.");
        for (int i = 0; i < tokens.length; i++) {
            if (i > 0) {
                b.append("\\.");
            }
            String t = tokens[i];
            if (t.equals("*")) {
                b.append("[^.]+");
            } else if (t.equals(">")) {
                b.append(".+");
            } else {
                b.append(Pattern.quote(t));
            }
        }
        return Pattern.compile(b.toString());
    }

    /** The consumer group of queue group {@code group} on {@code pattern}: {@code <prefix>.group.<group>.<pattern>}. */
    static String queueGroup(String prefix, String group, String pattern) {
        return prefix + ".group." + group + "." + pattern;
    }

    /** The node's reply topic: {@code <prefix>.reply.<node id>}, the node id made legal (and hashed if changed). */
    static String replyTopic(String prefix, String nodeId) {
        String base = prefix + ".reply.";
        String legal = nodeId.replaceAll("[^a-zA-Z0-9_-]", "_");
        if (!legal.equals(nodeId) || base.length() + legal.length() > MAX_TOPIC) {
            String hash = hash(nodeId);
            legal = legal.substring(0, Math.min(legal.length(), MAX_TOPIC - base.length() - hash.length() - 1)) + "-" + hash;
        }
        return base + legal;
    }

    static String hash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
