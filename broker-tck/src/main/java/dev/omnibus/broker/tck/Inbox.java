package dev.omnibus.broker.tck;

import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Event;
import dev.omnibus.broker.Handler;
import dev.omnibus.broker.Message;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;

/**
 * A handler that records every event it receives, with helpers to wait for them and to compare
 * what arrived against what was sent by message id (reporting exactly which ids were lost or
 * duplicated, as Watermill's suite does).
 */
public class Inbox implements Handler {
    private final ConcurrentLinkedQueue<Event> events = new ConcurrentLinkedQueue<>();

    @Override
    public void handle(Event event) throws Exception {
        events.add(event);
    }

    public List<Event> events() {
        return new ArrayList<>(events);
    }

    public List<Message> messages() {
        return events.stream().map(Event::message).collect(Collectors.toList());
    }

    public List<String> ids() {
        return events.stream().map(e -> e.message().id()).collect(Collectors.toList());
    }

    public List<String> bodies() {
        return events.stream().map(e -> e.message().bodyAsString()).collect(Collectors.toList());
    }

    public int count() {
        return events.size();
    }

    /** Waits until at least {@code n} events arrived. */
    public Inbox awaitCount(int n, Duration timeout) {
        await().atMost(timeout).pollInterval(Duration.ofMillis(10))
                .alias("waiting for " + n + " messages")
                .until(() -> events.size() >= n);
        return this;
    }

    /**
     * Waits until every id of {@code sent} arrived; on timeout fails with the ids lost, duplicated
     * and unexpected rather than a count.
     */
    public Inbox awaitIds(List<String> sent, Duration timeout) {
        awaitIds(sent, this::ids, timeout);
        return this;
    }

    /** As {@link #awaitIds(List, Duration)}, for ids gathered elsewhere (several inboxes, say). */
    public static void awaitIds(List<String> sent, java.util.function.Supplier<List<String>> received, Duration timeout) {
        java.util.Set<String> expected = new java.util.HashSet<>(sent);
        try {
            await().atMost(timeout).pollInterval(Duration.ofMillis(20))
                    .until(() -> new java.util.HashSet<>(received.get()).containsAll(expected));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("not every message arrived within " + timeout + ": " + difference(sent, received.get()), e);
        }
    }

    /** Asserts that the count stays at {@code n} for {@code quiet} (nothing more arrives). */
    public Inbox assertStaysAt(int n, Duration quiet) {
        await().during(quiet).atMost(quiet.plusSeconds(5)).pollInterval(Duration.ofMillis(20))
                .alias("count staying at " + n)
                .until(() -> events.size() == n);
        return this;
    }

    /**
     * Describes the difference between the ids sent and the ids received: lost ids, duplicated
     * ids (with counts) and unexpected ids; empty when every id arrived exactly once.
     */
    public static String difference(List<String> sent, List<String> received) {
        Map<String, Integer> counts = new TreeMap<>();
        received.forEach(id -> counts.merge(id, 1, Integer::sum));
        List<String> lost = sent.stream().filter(id -> !counts.containsKey(id)).collect(Collectors.toList());
        Map<String, Integer> dup = new TreeMap<>();
        counts.forEach((id, c) -> {
            if (c > 1) {
                dup.put(id, c);
            }
        });
        java.util.Set<String> sentSet = new java.util.HashSet<>(sent);
        List<String> unexpected = counts.keySet().stream().filter(id -> !sentSet.contains(id)).collect(Collectors.toList());
        if (lost.isEmpty() && dup.isEmpty() && unexpected.isEmpty()) {
            return "";
        }
        return "sent " + sent.size() + ", received " + received.size() + "; lost " + lost.size() + " " + abbreviate(lost)
                + "; duplicated " + dup.size() + " " + abbreviate(new ArrayList<>(dup.entrySet()))
                + "; unexpected " + unexpected.size() + " " + abbreviate(unexpected);
    }

    private static String abbreviate(List<?> items) {
        return items.size() <= 20 ? items.toString() : items.subList(0, 20) + "...";
    }
}
