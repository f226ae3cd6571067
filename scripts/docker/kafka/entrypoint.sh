#!/bin/sh
# Entrypoint of the omnibus/kafka-local image: formats the storage on first start (kept across
# docker stop/start), writes the listeners from the environment, then runs the broker as PID 1
# (SIGTERM shuts it down cleanly). Only shell builtins: the image has no other tools.
#
#   KAFKA_PORT              client listener port in the container (default 9092); map it 1:1 to
#                           the host, or set KAFKA_ADVERTISED_PORT to the mapped host port
#   KAFKA_ADVERTISED_HOST   host clients reach the broker at (default 127.0.0.1)
#   KAFKA_ADVERTISED_PORT   port advertised for KAFKA_PORT (default KAFKA_PORT)
#   KAFKA_CUT_PORT          optional second client listener, CUT, in the container
#   KAFKA_CUT_ADVERTISED_PORT  port it advertises (a proxy's, for connection-cut tests)
#   KAFKA_CLUSTER_ID        cluster id for the first format (default a fixed one)
#   KAFKA_HEAP              -Xmx of the broker (default 512m)
#   KAFKA_JAVA_OPTS         more JVM options
set -eu
port=${KAFKA_PORT:-9092}
controller=19093
host=${KAFKA_ADVERTISED_HOST:-127.0.0.1}
advertised=${KAFKA_ADVERTISED_PORT:-$port}
props=/var/lib/kafka/server.properties
if [ "$port" = "$controller" ] || [ "${KAFKA_CUT_PORT:-}" = "$controller" ]; then
    echo "kafka-local: port $controller is the controller's inside the container; choose another KAFKA_PORT / KAFKA_CUT_PORT" >&2
    exit 2
fi
listeners="PLAINTEXT://0.0.0.0:$port,CONTROLLER://127.0.0.1:$controller"
adv="PLAINTEXT://$host:$advertised"
map="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
if [ -n "${KAFKA_CUT_PORT:-}" ]; then
    listeners="$listeners,CUT://0.0.0.0:$KAFKA_CUT_PORT"
    adv="$adv,CUT://$host:${KAFKA_CUT_ADVERTISED_PORT:-$KAFKA_CUT_PORT}"
    map="$map,CUT:PLAINTEXT"
fi
{
    while IFS= read -r line || [ -n "$line" ]; do
        printf '%s\n' "$line"
    done </opt/kafka/config/server.properties
    printf 'node.id=1\ncontroller.quorum.voters=1@127.0.0.1:%s\n' "$controller"
    printf 'listeners=%s\nadvertised.listeners=%s\nlistener.security.protocol.map=%s\n' "$listeners" "$adv" "$map"
} >"$props"
# shellcheck disable=SC2086 # KAFKA_JAVA_OPTS is a list of options
set -- /opt/java/bin/java -Xmx"${KAFKA_HEAP:-512m}" -Xms64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Djava.awt.headless=true -Djava.io.tmpdir=/tmp \
    -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties ${KAFKA_JAVA_OPTS:-} -cp '/opt/kafka/libs/*'
"$@" kafka.tools.StorageTool format --ignore-formatted -t "${KAFKA_CLUSTER_ID:-b21uaWJ1cy1rYWZrYS1sYw}" -c "$props" >/dev/null
exec "$@" kafka.Kafka "$props"
