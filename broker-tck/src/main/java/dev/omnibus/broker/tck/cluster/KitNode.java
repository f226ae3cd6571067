package dev.omnibus.broker.tck.cluster;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The node program of the kit's cluster tests, run in a child JVM on the test classpath (see
 * {@link NodeProcess}). It connects with {@code Brokers.create}, plays one role, and reports on
 * stdout, one line per fact:
 *
 * <pre>
 * member &lt;topic&gt; &lt;group&gt; [workMillis] [broadcast]   GOT group &lt;id&gt; per message handled (before its ack),
 *                                                  GOT broadcast &lt;id&gt; with a broadcast subscription beside it
 * publish &lt;topic&gt; &lt;count&gt;                         SENT &lt;id&gt; per publish that returned, then DONE
 * responder &lt;topic&gt;                               GOT request &lt;id&gt;; replies "re:&lt;body&gt;@&lt;node&gt;"
 * requester &lt;topic&gt; &lt;count&gt;                       REPLY &lt;body&gt; per reply, FAILED &lt;reason&gt; per failure, then DONE
 * </pre>
 *
 * <p>READY follows setup; the node disconnects and exits with BYE when its stdin closes. The URL,
 * credentials, timeouts and backend properties come from environment variables (so no password
 * shows on a command line): {@code OMNIBUS_KIT_URL}, {@code OMNIBUS_KIT_USER},
 * {@code OMNIBUS_KIT_PASSWORD}, {@code OMNIBUS_KIT_PROPERTIES} (lines of {@code name=value}).
 */
public final class KitNode {
    private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

    private KitNode() {
    }

    public static void main(String[] args) {
        try {
            run(args);
        } catch (Throwable t) {
            // a half-started node must not linger on its broker's non-daemon threads: the parent sees the exit at once
            t.printStackTrace();
            System.exit(1);
        }
    }

    private static void run(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: KitNode <nodeId> <role> [args...]   (URL in OMNIBUS_KIT_URL)");
            System.exit(2);
        }
        String nodeId = args[0];
        Broker broker = Brokers.create(options(nodeId));
        broker.connect();
        String role = args[1];
        switch (role) {
            case "member": member(broker, args);
                break;
            case "publish": publish(broker, args[2], Integer.parseInt(args[3]));
                break;
            case "responder":
                broker.subscribe(args[2], e -> {
                    report("GOT request " + e.message().id());
                    e.reply(Message.of("re:" + e.message().bodyAsString() + "@" + nodeId));
                }, SubscribeOptions.builder().concurrency(4).build());
                report("READY");
                break;
            case "requester": requester(broker, args[2], Integer.parseInt(args[3]));
                break;
            default:
                System.err.println("unknown role " + role);
                System.exit(2);
        }
        waitForStdinToClose();
        broker.disconnect();
        report("BYE");
        System.exit(0);
    }

    private static void member(Broker broker, String[] args) {
        String topic = args[2];
        String group = args[3];
        long workMillis = args.length > 4 ? Long.parseLong(args[4]) : 0;
        boolean broadcast = args.length > 5 && args[5].equals("broadcast");
        broker.subscribe(topic, e -> {
            if (workMillis > 0) {
                Thread.sleep(workMillis); // simulated work, not synchronisation
            }
            report("GOT group " + e.message().id());
        }, SubscribeOptions.builder().queue(group).prefetch(5).build());
        if (broadcast) {
            broker.subscribe(topic, e -> report("GOT broadcast " + e.message().id()),
                    SubscribeOptions.builder().bufferSize(100_000).prefetch(100).build());
        }
        report("READY");
    }

    private static void publish(Broker broker, String topic, int count) {
        report("READY");
        for (int i = 0; i < count; i++) {
            Message m = Message.of("cluster-" + i);
            broker.publish(topic, m);
            report("SENT " + m.id());
        }
        report("DONE");
    }

    private static void requester(Broker broker, String topic, int count) {
        report("READY");
        for (int i = 0; i < count; i++) {
            try {
                Message reply = broker.request(topic, Message.of("q" + i), Duration.ofSeconds(20)).get(30, TimeUnit.SECONDS);
                report("REPLY " + reply.bodyAsString());
            } catch (Exception e) {
                report("FAILED " + e);
            }
        }
        report("DONE");
    }

    static BrokerOptions options(String nodeId) {
        String url = System.getenv("OMNIBUS_KIT_URL");
        if (url == null) {
            throw new IllegalArgumentException("set OMNIBUS_KIT_URL to the broker URL");
        }
        BrokerOptions.Builder b = BrokerOptions.builder().url(url).nodeId(nodeId);
        String user = System.getenv("OMNIBUS_KIT_USER");
        if (user != null) {
            b.credentials(user, System.getenv("OMNIBUS_KIT_PASSWORD"));
        }
        String props = System.getenv("OMNIBUS_KIT_PROPERTIES");
        if (props != null) {
            for (String line : props.split("\n")) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    b.property(line.substring(0, eq), line.substring(eq + 1));
                }
            }
        }
        String timeouts = System.getenv("OMNIBUS_KIT_TIMEOUTS");
        if (timeouts != null) {
            String[] t = timeouts.split(",");
            b.connectTimeout(Duration.parse(t[0])).publishTimeout(Duration.parse(t[1])).shutdownTimeout(Duration.parse(t[2]));
        }
        return b.build();
    }

    private static synchronized void report(String line) {
        OUT.println(line);
    }

    private static void waitForStdinToClose() throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        while (in.readLine() != null) {
            // the parent closes stdin to stop the node
        }
    }
}
