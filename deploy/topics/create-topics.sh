#!/bin/sh
# Create forewarn's topics before any worker starts, then check their partition counts.
#
# Why a separate step, when the workers would create missing topics themselves:
# - replication: the workers create topics with replication factor 1; here it is
#   REPLICATION_FACTOR (3 on a production cluster);
# - partition counts: a table and the topic it is keyed by must have the same number of
#   partitions, and a topic created by anything else first (a NOC producer with broker
#   auto-create on, a second worker racing the first) gets the broker's default count, which
#   no later start can repair (the worker refuses wrong counts, naming the topic);
# - retention: changelogs are compacted (they ARE the tables), dead letters are kept longer.
#
# Idempotent: existing topics are kept as they are and only checked. Runs as the compose
# service `topic-init` and the Kubernetes Job `forewarn-topics` (this file, embedded in
# deploy/k8s/topics-configmap.yaml by render_configmap.py). tests/unit/deploy checks that the
# two copies are equal and that the list below matches the topics and tables of the app.
set -eu

: "${BOOTSTRAP:?BOOTSTRAP must name the Kafka bootstrap servers, e.g. kafka:9092}"
: "${PARTITIONS:?PARTITIONS must equal kafka.partitions in forewarn.toml}"
REPLICATION_FACTOR="${REPLICATION_FACTOR:-1}"
TOPIC_PREFIX="${TOPIC_PREFIX:-}"        # kafka.topic_prefix in forewarn.toml
APP_ID="${APP_ID:-forewarn}"            # kafka.app_id: Faust names changelogs after it
KAFKA_BIN="${KAFKA_BIN:-/opt/kafka/bin}"
DEAD_LETTER_RETENTION_MS="${DEAD_LETTER_RETENTION_MS:-2592000000}"   # 30 days

# TLS/SASL (optional): the same settings as the workers' [kafka] section. The password comes
# from the environment only (a Secret), never from a file in the repository.
KAFKA_SECURITY_PROTOCOL="${KAFKA_SECURITY_PROTOCOL:-PLAINTEXT}"
KAFKA_SASL_MECHANISM="${KAFKA_SASL_MECHANISM:-SCRAM-SHA-512}"
KAFKA_SASL_USERNAME="${KAFKA_SASL_USERNAME:-}"
KAFKA_SSL_CAFILE="${KAFKA_SSL_CAFILE:-}"

CLIENT_CONFIG=""
if [ "$KAFKA_SECURITY_PROTOCOL" != "PLAINTEXT" ]; then
  CLIENT_CONFIG="$(mktemp)"
  trap 'rm -f "$CLIENT_CONFIG"' EXIT
  umask 077
  echo "security.protocol=$KAFKA_SECURITY_PROTOCOL" > "$CLIENT_CONFIG"
  case "$KAFKA_SECURITY_PROTOCOL" in
    SASL_*)
      : "${FOREWARN_KAFKA_SASL_PASSWORD:?FOREWARN_KAFKA_SASL_PASSWORD must be set for SASL}"
      case "$KAFKA_SASL_MECHANISM" in
        PLAIN) module=org.apache.kafka.common.security.plain.PlainLoginModule ;;
        SCRAM-SHA-256|SCRAM-SHA-512) module=org.apache.kafka.common.security.scram.ScramLoginModule ;;
        *) echo "create-topics: unsupported SASL mechanism $KAFKA_SASL_MECHANISM" >&2; exit 2 ;;
      esac
      {
        echo "sasl.mechanism=$KAFKA_SASL_MECHANISM"
        echo "sasl.jaas.config=$module required username=\"$KAFKA_SASL_USERNAME\" password=\"$FOREWARN_KAFKA_SASL_PASSWORD\";"
      } >> "$CLIENT_CONFIG"
      ;;
  esac
  if [ -n "$KAFKA_SSL_CAFILE" ]; then
    # PEM trust store (Kafka >= 2.7): the same CA file the workers use.
    {
      echo "ssl.truststore.type=PEM"
      echo "ssl.truststore.location=$KAFKA_SSL_CAFILE"
    } >> "$CLIENT_CONFIG"
  fi
fi

topics() {
  if [ -n "$CLIENT_CONFIG" ]; then
    "$KAFKA_BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$CLIENT_CONFIG" "$@"
  else
    "$KAFKA_BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" "$@"
  fi
}

EXPECTED=""

# create NAME PARTITIONS [TOPIC-CONFIG ...]
create() {
  name=$1
  partitions=$2
  shift 2
  configs=""
  for c in "$@"; do configs="$configs --config $c"; done
  echo "create-topics: $name ($partitions partitions, replication $REPLICATION_FACTOR${configs:+,$configs})"
  # shellcheck disable=SC2086 # configs is a list of --config k=v words without spaces
  topics --create --if-not-exists --topic "$name" --partitions "$partitions" \
    --replication-factor "$REPLICATION_FACTOR" $configs
  EXPECTED="$EXPECTED $name:$partitions"
}

# -- the topic list: keep in step with forewarn/streams/kafka/app.py (a test compares them) --------
# Input: alarms from NOC systems. ONE partition: the network is correlated in one order.
create "${TOPIC_PREFIX}alarms.raw" 1
# Customer contacts (CONTRACT §8); the worker forwards them into alarms.raw.
create "${TOPIC_PREFIX}contacts.raw" 1
create "${TOPIC_PREFIX}alarms.dead-letter" 1 "retention.ms=$DEAD_LETTER_RETENTION_MS"
# Customer-keyed topics: PARTITIONS each, the most workers that can share the work.
create "${TOPIC_PREFIX}impacts" "$PARTITIONS"
create "${TOPIC_PREFIX}notifications.outbox" "$PARTITIONS"
create "${TOPIC_PREFIX}notifications.delivered" "$PARTITIONS"
create "${TOPIC_PREFIX}notifications.dead-letter" "$PARTITIONS" "retention.ms=$DEAD_LETTER_RETENTION_MS"
# Incident lifecycle events (CONTRACT §8), keyed by incident id; one partition keeps their order.
create "${TOPIC_PREFIX}incidents.events" 1
# State, compacted: deleting old records would delete state. The network stage's journal
# (element alarms, windows, incidents, cuts, the alarms.raw offset) on one partition; the
# customer tables (Faust: APP_ID-TABLE-changelog) on PARTITIONS.
create "${TOPIC_PREFIX}network.state" 1 cleanup.policy=compact
create "${APP_ID}-episodes-changelog" "$PARTITIONS" cleanup.policy=compact
create "${APP_ID}-sent-changelog" "$PARTITIONS" cleanup.policy=compact
create "${APP_ID}-history-changelog" "$PARTITIONS" cleanup.policy=compact
create "${APP_ID}-network_replicas-changelog" "$PARTITIONS" cleanup.policy=compact
create "${APP_ID}-delivery_policy-changelog" "$PARTITIONS" cleanup.policy=compact
create "${APP_ID}-deferred-changelog" "$PARTITIONS" cleanup.policy=compact
# Faust's leader election (the leader sends the wall-clock ticks).
create "${APP_ID}-__assignor-__leader" 1

# -- check: every topic has the partition count forewarn needs --------------------------------
described="$(topics --describe)"
failed=0
for pair in $EXPECTED; do
  name=${pair%:*}
  want=${pair##*:}
  have=$(printf '%s\n' "$described" | awk -v t="$name" '
    { for (i = 1; i < NF; i++) if ($i == "Topic:" && $(i + 1) == t) found = 1 }
    found && /PartitionCount:/ { for (i = 1; i < NF; i++) if ($i == "PartitionCount:") { print $(i + 1); exit } }')
  if [ "$have" != "$want" ]; then
    echo "create-topics: topic $name has ${have:-no} partitions, forewarn needs $want" >&2
    failed=1
  fi
done
if [ "$failed" -ne 0 ]; then
  echo "create-topics: fix the topics above (a topic's partition count can only grow, and a" >&2
  echo "create-topics: table's topics must match exactly): delete and recreate them, or set" >&2
  echo "create-topics: kafka.partitions to what the cluster has." >&2
  exit 1
fi
echo "create-topics: all topics present with the right partition counts"
