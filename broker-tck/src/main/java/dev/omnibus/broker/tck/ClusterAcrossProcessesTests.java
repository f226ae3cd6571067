package dev.omnibus.broker.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.Message;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Kit group "Cluster across processes": groups, kills and requests across child JVMs. Run by {@link BrokerCompatibilityKit}; the numbers in
 * the display names are those of the kit's catalogue, {@code broker-tck/BEHAVIOURS.md}.
 */
@RequiresCapabilities(Capability.CROSS_PROCESS)
public abstract class ClusterAcrossProcessesTests extends KitGroup {
    protected ClusterAcrossProcessesTests(BrokerCompatibilityKit kit) {
        super(kit);
    }
    private final List<dev.omnibus.broker.tck.cluster.NodeProcess> nodes = new CopyOnWriteArrayList<>();

    @AfterEach
    void stopNodes() {
        nodes.parallelStream().forEach(dev.omnibus.broker.tck.cluster.NodeProcess::close);
    }

    private dev.omnibus.broker.tck.cluster.NodeProcess start(String name, String... role) {
        String id = node(name);
        dev.omnibus.broker.tck.cluster.NodeProcess p = dev.omnibus.broker.tck.cluster.NodeProcess.start(childOptions(id), id, role);
        nodes.add(p);
        return p;
    }

    private void awaitReady(List<dev.omnibus.broker.tck.cluster.NodeProcess> started) {
        for (dev.omnibus.broker.tck.cluster.NodeProcess p : started) {
            p.awaitReady(t(60_000));
        }
    }

    @Test
    @DisplayName("33. [CROSS_PROCESS] 3 child JVMs in one group and 1 publishing: each message processed once per group across processes; broadcast reaches every process")
    void groupAcrossProcesses() {
        assumeCapability(Capability.QUEUE_GROUPS);
        String topic = topic("procs");
        String group = group("procs");
        int count = n(1000);
        List<dev.omnibus.broker.tck.cluster.NodeProcess> members = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            members.add(start("member" + i, "member", topic, group, "0", "broadcast"));
        }
        awaitReady(members);
        dev.omnibus.broker.tck.cluster.NodeProcess publisher = start("publisher", "publish", topic, Integer.toString(count));
        publisher.awaitLine("DONE", t(120_000));
        List<String> sent = publisher.facts("SENT");
        assertThat(sent).hasSize(count);
        Throwable late = catchThrowable(() -> await().atMost(t(60_000)).pollInterval(Duration.ofMillis(100))
                .until(() -> members.stream().mapToInt(m -> m.count("group")).sum() >= count
                        && members.stream().allMatch(m -> m.count("broadcast") >= count)));
        awaitQuiet(() -> members.stream().mapToInt(m -> m.count("group") + m.count("broadcast")).sum(), t(500), t(10_000));
        List<String> grouped = members.stream().flatMap(m -> m.facts("group").stream()).collect(Collectors.toList());
        report("3 processes in a group + 1 publisher (behaviour 33)", count, sent, grouped,
                "per member " + members.stream().map(m -> Integer.toString(m.count("group"))).collect(Collectors.joining("/"))
                        + ", broadcast " + members.stream().map(m -> Integer.toString(m.count("broadcast"))).collect(Collectors.joining("/")));
        assertThat(Inbox.difference(sent, grouped)).as("group across processes, each message once" + (late == null ? "" : " (gave up waiting)"))
                .isEmpty();
        for (dev.omnibus.broker.tck.cluster.NodeProcess m : members) {
            assertThat(Inbox.difference(sent, m.facts("broadcast"))).as("broadcast at %s", m.nodeId()).isEmpty();
        }
    }

    @Test
    @DisplayName("34. [CROSS_PROCESS] kill -9 of a group member mid-stream: the others take over; with [ACKNOWLEDGEMENT] nothing is lost")
    void killedMember() {
        assumeCapability(Capability.QUEUE_GROUPS);
        Broker pub = connected("pub");
        boolean acks = pub.capabilities().contains(Capability.ACKNOWLEDGEMENT);
        String topic = topic("kill");
        String group = group("kill");
        int count = 600;
        List<dev.omnibus.broker.tck.cluster.NodeProcess> members = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            members.add(start("member" + i, "member", topic, group, "3"));
        }
        awaitReady(members);
        List<String> sent = publishMany(pub, topic, count, "k-");
        dev.omnibus.broker.tck.cluster.NodeProcess victim = members.get(0);
        await().atMost(t(60_000)).pollInterval(Duration.ofMillis(10)).until(() -> victim.count("group") >= 20);
        victim.kill();
        int victimCount = victim.count("group");
        List<dev.omnibus.broker.tck.cluster.NodeProcess> survivors = members.subList(1, 3);
        java.util.function.Supplier<java.util.Set<String>> seen = () -> members.stream().flatMap(m -> m.facts("group").stream())
                .collect(Collectors.toSet());
        Throwable late = null;
        if (acks) {
            late = catchThrowable(() -> await().atMost(t(120_000)).pollInterval(Duration.ofMillis(100))
                    .until(() -> seen.get().containsAll(sent)));
        }
        awaitQuiet(() -> survivors.stream().mapToInt(m -> m.count("group")).sum(), t(acks ? 1_000 : 3_000), t(120_000));
        List<String> received = members.stream().flatMap(m -> m.facts("group").stream()).collect(Collectors.toList());
        String line = report("kill -9 of a member mid-stream (behaviour 34)", count, sent, received,
                "killed member handled " + victimCount + (acks ? "" : ", no ACKNOWLEDGEMENT: losses reported, not failed"));
        assertThat(survivors.stream().mapToInt(m -> m.count("group")).sum()).as("the survivors took over").isPositive();
        if (acks) {
            List<String> lost = sent.stream().filter(id -> !seen.get().contains(id)).collect(Collectors.toList());
            assertThat(lost).as(line + (late == null ? "" : " (gave up waiting)")).isEmpty();
        }
    }

    @Test
    @DisplayName("35. [CROSS_PROCESS] [REQUEST_REPLY] request/reply between processes, both ways")
    void requestReplyAcrossProcesses() throws Exception {
        assumeCapability(Capability.REQUEST_REPLY);
        String toChild = topic("child-answers");
        String toParent = topic("parent-answers");
        Broker here = connected("here");
        here.subscribe(toParent, e -> e.reply(text("parent:" + e.message().bodyAsString())));
        dev.omnibus.broker.tck.cluster.NodeProcess responder = start("responder", "responder", toChild);
        responder.awaitReady(t(60_000));
        int count = n(100);
        List<CompletableFuture<Message>> replies = IntStream.range(0, count)
                .mapToObj(i -> here.request(toChild, text("q" + i), t(20_000))).collect(Collectors.toList());
        for (int i = 0; i < count; i++) {
            assertThat(replies.get(i).get(60, TimeUnit.SECONDS).bodyAsString()).isEqualTo("re:q" + i + "@" + responder.nodeId());
        }
        dev.omnibus.broker.tck.cluster.NodeProcess requester = start("requester", "requester", toParent, "10");
        requester.awaitLine("DONE", t(120_000));
        assertThat(requester.facts("FAILED")).as("failed requests from the child").isEmpty();
        assertThat(requester.facts("REPLY")).containsExactlyElementsOf(
                IntStream.range(0, 10).mapToObj(i -> "parent:q" + i).collect(Collectors.toList()));
        List<String> asked = new ArrayList<>();
        List<String> answered = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            asked.add("to-child:q" + i);
            answered.add("to-child:" + replies.get(i).get().bodyAsString().replace("re:", "").replaceAll("@.*", ""));
        }
        for (int i = 0; i < 10; i++) {
            asked.add("to-parent:q" + i);
        }
        requester.facts("REPLY").forEach(r -> answered.add("to-parent:" + r.replace("parent:", "")));
        report("request/reply between processes (behaviour 35)", asked.size(), asked, answered,
                count + " requests to a child and 10 from a child, each answered");
    }
}
