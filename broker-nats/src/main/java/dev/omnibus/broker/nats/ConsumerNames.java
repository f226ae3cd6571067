package dev.omnibus.broker.nats;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * Names of JetStream consumers, derived from the queue group and the pattern so that every member
 * of a group, in any process, binds to the same consumer.
 *
 * <p>{@code <group>_<pattern>_<hash>} for a durable group and {@code q_<group>_<pattern>_<hash>}
 * for a non-durable one, where in the pattern {@code .} becomes {@code _}, {@code *} becomes
 * {@code STAR}, {@code >} becomes {@code GT} and any other character NATS forbids becomes
 * {@code _}; {@code hash} is 8 hex digits of CRC-32 over the exact group and pattern, so two
 * patterns that sanitize alike still get different consumers. Long names are cut to fit.
 */
final class ConsumerNames {
    private static final int MAX_READABLE = 120;

    private ConsumerNames() {
    }

    static String durable(String group, String pattern) {
        return name("", group, pattern);
    }

    static String group(String group, String pattern) {
        return name("q_", group, pattern);
    }

    private static String name(String prefix, String group, String pattern) {
        String readable = prefix + sanitize(group) + "_" + sanitize(pattern);
        if (readable.length() > MAX_READABLE) {
            readable = readable.substring(0, MAX_READABLE);
        }
        CRC32 crc = new CRC32();
        crc.update((group + "\u0000" + pattern).getBytes(StandardCharsets.UTF_8));
        return readable + "_" + String.format("%08x", crc.getValue());
    }

    static String sanitize(String s) {
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '*') {
                b.append("STAR");
            } else if (c == '>') {
                b.append("GT");
            } else if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
                b.append(c);
            } else {
                b.append('_');
            }
        }
        return b.toString();
    }
}
