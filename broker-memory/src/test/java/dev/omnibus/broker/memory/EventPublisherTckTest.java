package dev.omnibus.broker.memory;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Event;
import dev.omnibus.broker.EventPublisher;
import dev.omnibus.broker.FlowOptions;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Subscriptions;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import org.reactivestreams.tck.TestEnvironment;
import org.reactivestreams.tck.flow.FlowPublisherVerification;
import org.testng.annotations.AfterClass;
import org.testng.annotations.AfterMethod;
import org.testng.annotations.BeforeClass;

/**
 * The Reactive Streams TCK (publisher rules) against {@link Subscriptions#publisher} on the memory
 * broker. Run by TestNG on the JUnit Platform (testng-engine). The publisher is a subscription at
 * the broker: a finite stream of {@code n} elements is {@code n} messages published to a fresh
 * topic and {@link FlowOptions#limit(long) limit(n)}; an "infinite" one is fed by a thread that
 * publishes while the stream is active (at most {@link #FEED_CAP} messages, paced by the
 * broker's BLOCK overflow policy).
 *
 * <p>Result: 26 passed, 12 skipped, none failed. The skipped ones, and why they do not apply:
 * <ul>
 *   <li>Rule 1.11, five optional tests ({@code optional_spec111_maySupportMultiSubscribe},
 *       {@code ..._registeredSubscribersMustReceiveOnNextOrOnCompleteSignals} and the three
 *       {@code ..._multicast_...}): an event publisher is one subscription at the broker (one
 *       group membership, one window of unsettled messages) and serves one subscriber; a second
 *       gets {@code onSubscribe} then {@code onError(IllegalStateException)}, which rule 1.11
 *       allows. Fan out downstream instead ({@code Flux.share()}), or make one publisher each.
 *   <li>Seven {@code untested_*} tests (1.06, 1.07 after onError, 1.08, 1.09 non-fatal throw,
 *       1.10, 3.04, 3.05): the TCK does not verify these rules ("Not verified by this TCK").
 * </ul>
 */
public class EventPublisherTckTest extends FlowPublisherVerification<Event> {
    /** Most messages fed to an "infinite" stream. */
    static final int FEED_CAP = 20_000;
    /** Longest stream made of published messages and a limit; longer ones are fed. */
    static final long FINITE_MAX = 512;
    private static final AtomicInteger TOPIC = new AtomicInteger();

    private Broker broker;
    private final List<EventPublisher> made = new CopyOnWriteArrayList<>();

    public EventPublisherTckTest() {
        super(new TestEnvironment(500, 100), 1_000);
    }

    @BeforeClass
    public void connect() {
        broker = Brokers.create(BrokerOptions.of("memory://tck-" + System.nanoTime()));
        broker.connect();
    }

    @AfterMethod
    public void unsubscribeAll() {
        made.forEach(EventPublisher::unsubscribe);
        made.clear();
    }

    @AfterClass
    public void disconnect() {
        broker.disconnect();
    }

    @Override
    public Flow.Publisher<Event> createFlowPublisher(long elements) {
        String topic = "tck.flow." + TOPIC.incrementAndGet();
        boolean finite = elements <= FINITE_MAX;
        EventPublisher p = Subscriptions.publisher(broker, topic, SubscribeOptions.defaults(),
                FlowOptions.builder().limit(finite ? elements : FlowOptions.UNLIMITED).build());
        made.add(p);
        if (finite) {
            for (long i = 0; i < elements; i++) {
                broker.publish(topic, Message.of("e" + i));
            }
        } else {
            Thread feeder = new Thread(() -> {
                for (int i = 0; i < FEED_CAP && p.isActive() && broker.isConnected(); i++) {
                    try {
                        broker.publish(topic, Message.of("e" + i));
                    } catch (RuntimeException e) {
                        // buffer full for longer than the block timeout, or disconnected: try again while active
                    }
                }
            }, "tck-feeder-" + topic);
            feeder.setDaemon(true);
            feeder.start();
        }
        return p;
    }

    @Override
    public Flow.Publisher<Event> createFailedFlowPublisher() {
        EventPublisher p = Subscriptions.publisher(broker, "tck.failed." + TOPIC.incrementAndGet(), SubscribeOptions.defaults());
        p.unsubscribe();
        return p;
    }
}
