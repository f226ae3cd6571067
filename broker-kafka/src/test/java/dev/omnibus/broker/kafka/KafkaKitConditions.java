package dev.omnibus.broker.kafka;

import java.util.Map;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Kit tests that cannot test Kafka as written, disabled with the reason. The kit cuts connections with a {@link dev.omnibus.broker.tck.TcpProxy} in
 * front of the URL's first address; a Kafka client only bootstraps there and then connects to the
 * brokers' advertised listeners, so a proxy of the bootstrap address cuts nothing. The kit would need
 * a hook that lets the kit class supply the address to cut (see broker-kafka/README.md).
 */
final class KafkaKitConditions implements ExecutionCondition {
    private static final String PROXY = "a Kafka client bypasses a bootstrap-address proxy (it connects to the advertised"
            + " listeners), so the kit's proxy cuts nothing; the kit needs a hook for the connection to cut";
    private static final Map<String, String> DISABLED = Map.of(
            "networkCut", PROXY,
            "publishDuringLongCutFails", PROXY);

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        return context.getTestMethod().map(m -> DISABLED.get(m.getName()))
                .map(ConditionEvaluationResult::disabled)
                .orElse(ConditionEvaluationResult.enabled("runs against Kafka"));
    }
}
