package dev.omnibus.broker.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.omnibus.broker.Topics;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("TopicIndex")
class TopicIndexTest {
    private final TopicIndex<String> index = new TopicIndex<>();

    @Test
    @DisplayName("match returns the values of exact, '*' and '>' patterns that match, and nothing else")
    void addAndMatch() {
        index.add("orders.created", "exact");
        index.add("orders.*", "star");
        index.add("orders.>", "rest");
        index.add(">", "all");
        index.add("*.created", "any-created");
        index.add("orders.created.eu", "deeper");
        index.add("billing.*", "other");

        assertThat(index.match("orders.created")).containsExactlyInAnyOrder("exact", "star", "rest", "all", "any-created");
        assertThat(index.match("orders.created.eu")).containsExactlyInAnyOrder("rest", "all", "deeper");
        assertThat(index.match("orders")).containsExactly("all");
        assertThat(index.match("billing.paid")).containsExactlyInAnyOrder("other", "all");
        assertThat(index.size()).isEqualTo(7);
    }

    @Test
    @DisplayName("several values under one pattern are all returned")
    void severalValuesPerPattern() {
        index.add("a.b", "one");
        index.add("a.b", "two");
        assertThat(index.match("a.b")).containsExactlyInAnyOrder("one", "two");
        assertThat(index.remove("a.b", "one")).isTrue();
        assertThat(index.match("a.b")).containsExactly("two");
    }

    @Test
    @DisplayName("results are unmodifiable, also when empty")
    void resultsAreUnmodifiable() {
        index.add("a", "v");
        List<String> hit = index.match("a");
        List<String> miss = index.match("b");
        assertThat(miss).isEmpty();
        assertThatThrownBy(() -> hit.add("x")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> miss.add("x")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    @DisplayName("an invalid pattern is rejected by add and the index stays unchanged")
    void addValidates() {
        assertThatThrownBy(() -> index.add("a..b", "v")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> index.add("a.>.b", "v")).isInstanceOf(IllegalArgumentException.class);
        assertThat(index.size()).isZero();
        assertThat(index.match("a.x.b")).isEmpty();
    }

    @Test
    @DisplayName("a value added after a topic was matched (and cached) is found by the next match")
    void cacheSeesAdds() {
        index.add("a.b", "first");
        assertThat(index.match("a.b")).containsExactly("first");
        assertThat(index.match("a.c")).isEmpty();

        index.add("a.*", "later");
        assertThat(index.match("a.b")).containsExactlyInAnyOrder("first", "later");
        assertThat(index.match("a.c")).containsExactly("later");
    }

    @Test
    @DisplayName("a removed value disappears from the next match of a cached topic")
    void cacheSeesRemoves() {
        index.add("a.>", "rest");
        index.add("a.b", "exact");
        assertThat(index.match("a.b")).containsExactlyInAnyOrder("rest", "exact");

        assertThat(index.remove("a.>", "rest")).isTrue();
        assertThat(index.match("a.b")).containsExactly("exact");
        assertThat(index.remove("a.b", "exact")).isTrue();
        assertThat(index.match("a.b")).isEmpty();
        assertThat(index.size()).isZero();
    }

    @Test
    @DisplayName("remove returns false for an unknown pattern or value and changes nothing")
    void removeUnknown() {
        index.add("a.b", "v");
        assertThat(index.remove("a.c", "v")).isFalse();
        assertThat(index.remove("a.b", "w")).isFalse();
        assertThat(index.remove("a", "v")).isFalse();
        assertThat(index.remove("a.b.c", "v")).isFalse();
        assertThat(index.size()).isEqualTo(1);
        assertThat(index.match("a.b")).containsExactly("v");
    }

    @Test
    @DisplayName("remove prunes trie nodes left without values or children, but keeps shared prefixes")
    void pruning() throws Exception {
        index.add("a.b.c.d", "deep");
        index.add("a.x", "sibling");
        index.add("a", "prefix");
        assertThat(childrenOf(root())).containsOnlyKeys("a");

        assertThat(index.remove("a.b.c.d", "deep")).isTrue();
        Object a = childrenOf(root()).get("a");
        assertThat(childrenOf(a)).as("the b.c.d branch is pruned, a.x stays").containsOnlyKeys("x");

        assertThat(index.remove("a", "prefix")).isTrue();
        assertThat(childrenOf(root())).as("'a' still has the child x").containsOnlyKeys("a");
        assertThat(index.match("a.x")).containsExactly("sibling");
        assertThat(index.match("a")).isEmpty();

        assertThat(index.remove("a.x", "sibling")).isTrue();
        assertThat(childrenOf(root())).as("everything pruned").isEmpty();
        assertThat(index.size()).isZero();
    }

    @Test
    @DisplayName("concurrent add/remove while matching: no exceptions, stable entries always seen, final state right")
    void concurrentChurn() throws Exception {
        index.add(">", "always");
        index.add("a.*", "always-a");
        String[] patterns = {"a", "a.b", "a.*", "*.b", "a.>", "*.*", "b.>", "a.b.c", "*.b.>", "c"};
        String[] topics = {"a", "a.b", "a.c", "b.b", "a.b.c", "b.c.d", "c"};
        int writers = 4;
        int readers = 4;
        ExecutorService pool = Executors.newFixedThreadPool(writers + readers);
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        AtomicLong matches = new AtomicLong();
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> futures = new ArrayList<>();
        try {
            for (int w = 0; w < writers; w++) {
                int id = w;
                futures.add(pool.submit(() -> {
                    Random r = new Random(1000 + id);
                    start.await();
                    for (int i = 0; i < 5_000; i++) {
                        String p = patterns[r.nextInt(patterns.length)];
                        String v = "w" + id + ":" + p;
                        index.add(p, v);
                        if (r.nextInt(3) != 0) {
                            index.remove(p, v);
                        }
                    }
                    return null;
                }));
            }
            for (int rd = 0; rd < readers; rd++) {
                int id = rd;
                futures.add(pool.submit(() -> {
                    Random r = new Random(2000 + id);
                    start.await();
                    while (!stop.get()) {
                        String t = topics[r.nextInt(topics.length)];
                        List<String> got = index.match(t);
                        if (!got.contains("always")) {
                            violations.add("'>' entry missing for " + t + ": " + got);
                        }
                        if (t.startsWith("a.") && t.indexOf('.', 2) < 0 && !got.contains("always-a")) {
                            violations.add("'a.*' entry missing for " + t + ": " + got);
                        }
                        matches.incrementAndGet();
                    }
                    return null;
                }));
            }
            start.countDown();
            for (int i = 0; i < writers; i++) {
                futures.get(i).get(60, TimeUnit.SECONDS);
            }
            stop.set(true);
            for (Future<?> f : futures) {
                f.get(10, TimeUnit.SECONDS); // rethrows any exception of a worker
            }
        } finally {
            stop.set(true);
            pool.shutdownNow();
        }
        assertThat(violations).isEmpty();
        assertThat(matches.get()).isPositive();

        // final state: every surviving entry is found exactly as Topics.matches says
        for (String t : topics) {
            List<String> got = index.match(t);
            for (String v : got) {
                String pattern = v.startsWith("always") ? (v.equals("always") ? ">" : "a.*") : v.substring(v.indexOf(':') + 1);
                assertThat(Topics.matches(pattern, t)).as("%s matched %s", v, t).isTrue();
            }
        }
        // removing everything that is left empties the index
        for (String p : patterns) {
            for (int w = 0; w < writers; w++) {
                while (index.remove(p, "w" + w + ":" + p)) {
                    // duplicates are possible: one value may have been added several times
                }
            }
        }
        assertThat(index.match("a.b")).containsExactlyInAnyOrder("always", "always-a");
        assertThat(index.remove(">", "always")).isTrue();
        assertThat(index.remove("a.*", "always-a")).isTrue();
        assertThat(index.size()).isZero();
        for (String t : topics) {
            assertThat(index.match(t)).as("after removing everything, %s", t).isEmpty();
        }
        assertThat(childrenOf(root())).isEmpty();
    }

    private Object root() throws Exception {
        Field f = TopicIndex.class.getDeclaredField("root");
        f.setAccessible(true);
        return f.get(index);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> childrenOf(Object node) throws Exception {
        Field f = node.getClass().getDeclaredField("children");
        f.setAccessible(true);
        return (Map<String, Object>) f.get(node);
    }
}
