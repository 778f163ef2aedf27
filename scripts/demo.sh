#!/usr/bin/env bash
# The local demo: a Prometheus HA pair (external labels replica="a" and "b", each scraping itself, its
# twin and a node-exporter), an Alertmanager, a ruler HA pair (rule_replica="0"/"1", dropped from
# alerts) evaluating scripts/demo/rules.yaml against replica a, and the console pointed at replica a.
# Installs what is missing, builds, starts everything on free 127.0.0.1 ports, prints the URLs, and
# stops it all on Ctrl-C.
# Set CONSOLE_PORT to choose the console's port (default 8080 if free).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ROOT"

build_console
log "building the ruler and the console server"
cargo build -q -p ruler -p testkit --bins

free_port() {
  python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0)); print(s.getsockname()[1])' "$@" 2>/dev/null \
    || python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
CONSOLE_PORT="${CONSOLE_PORT:-$(free_port 8080)}"
NODE_PORT="$(free_port)"
PROM_A="$(free_port)"
PROM_B="$(free_port)"
AM_PORT="$(free_port)"
RULER_0="$(free_port)"
RULER_1="$(free_port)"
GRPC_0="$(free_port)"
GRPC_1="$(free_port)"
DEMO="$ROOT/.demo"
mkdir -p "$DEMO"

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

prometheus-node-exporter --web.listen-address="127.0.0.1:$NODE_PORT" >"$DEMO/node-exporter.log" 2>&1 &
pids+=($!)

for replica in a b; do
  port=$([ "$replica" = a ] && echo "$PROM_A" || echo "$PROM_B")
  dir="$DEMO/prometheus-$replica"
  mkdir -p "$dir"
  cat >"$dir/prometheus.yml" <<YAML
global:
  scrape_interval: 5s
  evaluation_interval: 5s
  external_labels:
    replica: "$replica"
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:$PROM_A', '127.0.0.1:$PROM_B']
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:$NODE_PORT']
YAML
  prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
    --web.listen-address="127.0.0.1:$port" >"$dir/prometheus.log" 2>&1 &
  pids+=($!)
done

mkdir -p "$DEMO/alertmanager"
cat >"$DEMO/alertmanager/alertmanager.yml" <<YAML
route:
  receiver: log-only
  group_wait: 5s
receivers:
  - name: log-only
YAML
prometheus-alertmanager --config.file="$DEMO/alertmanager/alertmanager.yml" --storage.path="$DEMO/alertmanager/data" \
  --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= >"$DEMO/alertmanager/alertmanager.log" 2>&1 &
pids+=($!)

for i in 0 1; do
  port=$([ "$i" = 0 ] && echo "$RULER_0" || echo "$RULER_1")
  grpc=$([ "$i" = 0 ] && echo "$GRPC_0" || echo "$GRPC_1")
  target/debug/ruler run --query="http://127.0.0.1:$PROM_A" --query="http://127.0.0.1:$PROM_B" --rule-file="$ROOT/scripts/demo/rules.yaml" \
    --label="rule_replica=\"$i\"" --alert.label-drop=rule_replica --alertmanagers.url="http://127.0.0.1:$AM_PORT" \
    --alert.query-url="http://127.0.0.1:$CONSOLE_PORT" --eval-interval=15s --http-address="127.0.0.1:$port" \
    --grpc-address="127.0.0.1:$grpc" --data-dir="$DEMO/ruler-$i" >"$DEMO/ruler-$i.log" 2>&1 &
  pids+=($!)
done

# One origin, as behind an Ingress: the rulers' rules and alerts from ruler 0 (a Querier would merge
# the pair's; they are the same), every other API path from replica a.
target/debug/serve-console --dist dist --listen "127.0.0.1:$CONSOLE_PORT" \
  --upstream "/api/v1/rules=http://127.0.0.1:$RULER_0" --upstream "/api/v1/alerts=http://127.0.0.1:$RULER_0" \
  --upstream "/api/=http://127.0.0.1:$PROM_A" >"$DEMO/console.log" 2>&1 &
pids+=($!)

for url in "http://127.0.0.1:$PROM_A/-/ready" "http://127.0.0.1:$PROM_B/-/ready" "http://127.0.0.1:$AM_PORT/-/ready" \
  "http://127.0.0.1:$RULER_0/-/ready" "http://127.0.0.1:$RULER_1/-/ready" "http://127.0.0.1:$CONSOLE_PORT/"; do
  for _ in $(seq 1 100); do curl -fs -o /dev/null "$url" && break; sleep 0.2; done
  curl -fs -o /dev/null "$url" || { log "$url did not come up; logs are in $DEMO"; exit 1; }
done

cat <<MSG

  Prometheus replica a:  http://127.0.0.1:$PROM_A/   (the console's query API, same origin at :$CONSOLE_PORT/api/)
  Prometheus replica b:  http://127.0.0.1:$PROM_B/
  node-exporter:         http://127.0.0.1:$NODE_PORT/metrics
  Alertmanager:          http://127.0.0.1:$AM_PORT/   (one DemoHeartbeat alert from both rulers)
  ruler replicas:        http://127.0.0.1:$RULER_0/api/v1/rules   http://127.0.0.1:$RULER_1/api/v1/alerts
  ruler gRPC (StoreAPI, Info, Rules for a Thanos Querier's --endpoint):  127.0.0.1:$GRPC_0   127.0.0.1:$GRPC_1

  The console (its API on the same origin):
  graph   http://127.0.0.1:$CONSOLE_PORT/graph?g0.expr=rate(node_cpu_seconds_total%7Bmode%3D%22user%22%7D%5B1m%5D)&g0.tab=0&g0.range_input=15m
  rules   http://127.0.0.1:$CONSOLE_PORT/rules    (the rulers' recording and alerting rules)
  alerts  http://127.0.0.1:$CONSOLE_PORT/alerts   (DemoHeartbeat, firing)
  status  http://127.0.0.1:$CONSOLE_PORT/status   (Prometheus replica a's build and flags)
  embed   http://127.0.0.1:$CONSOLE_PORT/embed?g0.expr=up&g0.range_input=15m&refresh=30s

  Logs in $DEMO. Ctrl-C stops everything.
MSG
wait
