package dev.omnibus.broker.nats;

import dev.omnibus.broker.BrokerException;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the one JetStream stream of this broker (property {@code stream}, default
 * {@code omnibus}) covering the topics in use.
 *
 * <p>A topic whose first token is {@code t} is stored when the stream has the subjects {@code t}
 * and {@code t.>}; they are added on first use, by publish or subscribe, idempotently and safely
 * against other processes doing the same (read, merge, write, read back). One stream for every
 * topic means stream subjects never overlap each other, and {@code _INBOX} and request subjects
 * never enter it. After the first check for a token the result is cached, so a publish costs no
 * management call.
 */
final class StreamManager {
    private static final Logger LOG = LoggerFactory.getLogger(StreamManager.class);
    private static final int STREAM_NOT_FOUND = 10059;
    private static final int STREAM_NAME_IN_USE = 10058;
    private static final int SUBJECTS_OVERLAP = 10065;
    private static final int ATTEMPTS = 5;

    private final JetStreamManagement jsm;
    private final NatsSettings settings;
    private final Set<String> covered = ConcurrentHashMap.newKeySet();
    private boolean retentionChecked;

    StreamManager(JetStreamManagement jsm, NatsSettings settings) {
        this.jsm = jsm;
        this.settings = settings;
    }

    String stream() {
        return settings.stream();
    }

    /** Makes sure messages published to {@code topicOrPattern} are stored; a leading wildcard needs only the stream. */
    void ensure(String topicOrPattern) {
        String token = firstToken(topicOrPattern);
        if (token.equals("*") || token.equals(">")) {
            ensureSubjects(List.of());
            return;
        }
        if (!covered.contains(token)) {
            ensureSubjects(List.of(token, token + ".>"));
            covered.add(token);
        }
    }

    /** Forgets everything cached, e.g. after a reconnect to a server that may have lost a memory stream. */
    void invalidateAll() {
        covered.clear();
    }

    /** Forgets what is cached for {@code topic}, e.g. after the server said no stream took it. */
    void invalidate(String topic) {
        covered.remove(firstToken(topic));
    }

    private synchronized void ensureSubjects(List<String> wanted) {
        BrokerException last = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            try {
                StreamInfo info = info();
                if (info == null) {
                    List<String> subjects = wanted.isEmpty() ? List.of(reservedSubject()) : wanted;
                    try {
                        jsm.addStream(config(null, subjects));
                        LOG.info("Created JetStream stream '{}' with subjects {}", stream(), subjects);
                    } catch (JetStreamApiException e) {
                        if (e.getApiErrorCode() != STREAM_NAME_IN_USE) {
                            throw e;
                        }
                    }
                    continue; // read back: another process may have created it meanwhile
                }
                warnIfInterest(info.getConfiguration());
                List<String> have = info.getConfiguration().getSubjects();
                if (have.containsAll(wanted)) {
                    return;
                }
                Set<String> merged = new LinkedHashSet<>(have);
                merged.addAll(wanted);
                jsm.updateStream(config(info.getConfiguration(), new ArrayList<>(merged)));
                LOG.debug("Stream '{}' now also stores {}", stream(), wanted);
            } catch (JetStreamApiException e) {
                if (e.getApiErrorCode() == SUBJECTS_OVERLAP) {
                    throw new SubjectConflict("cannot store subjects " + wanted + " in JetStream stream '" + stream()
                            + "': another stream already captures them (" + e.getErrorDescription()
                            + "); set property 'stream' to that stream's name, or remove the overlap", e);
                }
                last = new BrokerException("JetStream refused to add subjects " + wanted + " to stream '" + stream() + "': "
                        + e.getErrorDescription() + " (code " + e.getApiErrorCode() + ")", e);
            } catch (IOException e) {
                last = new BrokerException("JetStream did not answer while setting up stream '" + stream() + "': " + e.getMessage()
                        + "; is JetStream enabled on the server (nats-server -js)?", e);
            }
        }
        throw last != null ? last : new BrokerException("stream '" + stream() + "' kept changing under concurrent updates; "
                + "subjects " + wanted + " could not be added after " + ATTEMPTS + " attempts");
    }

    /** Once: an existing interest stream (made by an older version or by hand) keeps its retention. */
    private void warnIfInterest(StreamConfiguration existing) {
        if (retentionChecked) {
            return;
        }
        retentionChecked = true;
        if (existing.getRetentionPolicy() == RetentionPolicy.Interest && settings.retention() != RetentionPolicy.Interest) {
            LOG.warn("JetStream stream '{}' has retention 'interest'; nats-server 2.9 can confirm and then drop messages "
                    + "published to such a stream while the server restarts. Recreate it with retention 'limits' "
                    + "(delete it, or set property 'stream' to a new name) unless your server is known not to.", stream());
        }
    }

    private StreamInfo info() throws IOException, JetStreamApiException {
        try {
            return jsm.getStreamInfo(stream());
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == STREAM_NOT_FOUND) {
                return null;
            }
            throw e;
        }
    }

    private StreamConfiguration config(StreamConfiguration existing, List<String> subjects) {
        if (existing != null) {
            return StreamConfiguration.builder(existing).subjects(subjects).build();
        }
        return StreamConfiguration.builder()
                .name(stream())
                .subjects(subjects)
                .storageType(settings.storage())
                .retentionPolicy(settings.retention())
                .maxAge(settings.maxAge())
                .replicas(settings.replicas())
                .build();
    }

    /** A stream needs one subject; this one is never published to. */
    private String reservedSubject() {
        return "_omnibus.stream." + stream();
    }

    /** The stream cannot take the subjects, and asking again will not change that: publishers fail at once. */
    static final class SubjectConflict extends BrokerException {
        SubjectConflict(String message, Throwable cause) {
            super(message, cause);
        }
    }

    static String firstToken(String topic) {
        int dot = topic.indexOf('.');
        return dot < 0 ? topic : topic.substring(0, dot);
    }
}
