package dev.omnibus.broker.support;

import dev.omnibus.broker.Topics;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Subscription patterns indexed for the publish path: a token trie with {@code *} and {@code >}
 * branches, plus a cache of results per concrete topic.
 *
 * <p>{@link #match(String)} is lock-free and, for a topic seen before, one hash lookup whatever
 * the number of patterns. {@link #add} and {@link #remove} are serialized and invalidate the
 * cache; a value added before {@code add} returns is matched by every later {@code match}.
 *
 * @param <T> what is stored per pattern (a subscription, a queue group)
 */
public final class TopicIndex<T> {
    private static final int CACHE_LIMIT = 8192;

    private final Node<T> root = new Node<>();
    private volatile Map<String, List<T>> cache = new ConcurrentHashMap<>();
    private int size;

    /** Adds {@code value} under {@code pattern} (validated). */
    public synchronized void add(String pattern, T value) {
        Topics.validatePattern(pattern);
        Node<T> n = root;
        for (String token : tokens(pattern)) {
            n = n.children.computeIfAbsent(token, t -> new Node<>());
        }
        n.values.add(value);
        size++;
        cache = new ConcurrentHashMap<>();
    }

    /** Removes {@code value} from {@code pattern}; returns whether it was there. */
    public synchronized boolean remove(String pattern, T value) {
        List<Node<T>> path = new ArrayList<>();
        Node<T> n = root;
        path.add(n);
        String[] tokens = tokens(pattern);
        for (String token : tokens) {
            n = n.children.get(token);
            if (n == null) {
                return false;
            }
            path.add(n);
        }
        if (!n.values.remove(value)) {
            return false;
        }
        size--;
        for (int i = tokens.length; i > 0; i--) {
            Node<T> node = path.get(i);
            if (node.values.isEmpty() && node.children.isEmpty()) {
                path.get(i - 1).children.remove(tokens[i - 1], node);
            } else {
                break;
            }
        }
        cache = new ConcurrentHashMap<>();
        return true;
    }

    /** Values whose pattern matches concrete {@code topic}; unmodifiable, possibly empty. */
    public List<T> match(String topic) {
        Map<String, List<T>> c = cache;
        List<T> hit = c.get(topic);
        if (hit != null) {
            return hit;
        }
        List<T> out = new ArrayList<>(2);
        collect(root, tokens(topic), 0, out);
        List<T> result = out.isEmpty() ? Collections.emptyList() : Collections.unmodifiableList(out);
        if (c.size() >= CACHE_LIMIT) {
            // clear in place: replacing the map here could undo an add()'s invalidation
            c.clear();
        }
        c.put(topic, result);
        return result;
    }

    /** Number of (pattern, value) entries. */
    public synchronized int size() {
        return size;
    }

    private static <T> void collect(Node<T> node, String[] tokens, int i, List<T> out) {
        if (i == tokens.length) {
            out.addAll(node.values);
            return;
        }
        Node<T> exact = node.children.get(tokens[i]);
        if (exact != null) {
            collect(exact, tokens, i + 1, out);
        }
        Node<T> star = node.children.get("*");
        if (star != null) {
            collect(star, tokens, i + 1, out);
        }
        Node<T> rest = node.children.get(">");
        if (rest != null) {
            out.addAll(rest.values);
        }
    }

    private static String[] tokens(String s) {
        int count = 1;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == '.') {
                count++;
            }
        }
        String[] out = new String[count];
        int start = 0;
        int k = 0;
        for (int i = 0; i <= s.length(); i++) {
            if (i == s.length() || s.charAt(i) == '.') {
                out[k++] = s.substring(start, i);
                start = i + 1;
            }
        }
        return out;
    }

    private static final class Node<T> {
        final Map<String, Node<T>> children = new ConcurrentHashMap<>(4);
        final List<T> values = new CopyOnWriteArrayList<>();
    }
}
