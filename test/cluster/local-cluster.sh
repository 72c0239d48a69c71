#!/usr/bin/env bash
# A local Redis Cluster for tests, benches and CI: six nodes on loopback (three masters, three replicas).
#   local-cluster.sh start   starts the nodes (ports CLUSTER_PORT..CLUSTER_PORT+5, default 7000) and creates the cluster
#   local-cluster.sh stop    stops them and removes their data
# Nodes keep no data on disk (no RDB, no AOF): a test cluster is thrown away after the run. A replica takes over its
# dead master however long it had been out of touch with it (validity factor 0): on a loaded machine a replica's link
# can lag, and the failover scenario is about the workers following the successor, not about Redis' own caution.
set -euo pipefail
base=${CLUSTER_PORT:-7000}
dir=${CLUSTER_DIR:-${TMPDIR:-/tmp}/oauth-cc-cluster-$base}
ports=$(seq "$base" $((base + 5)))

ready() { [ "$(redis-cli -p "$base" cluster info 2>/dev/null | tr -d '\r' | grep -c '^cluster_state:ok')" = 1 ]; }

start() {
  if ready; then echo "cluster already running on $base-$((base + 5))"; return; fi
  mkdir -p "$dir"
  for port in $ports; do
    mkdir -p "$dir/$port"
    redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file "$dir/$port/nodes.conf" \
      --cluster-node-timeout 2000 --cluster-replica-validity-factor 0 --save "" --appendonly no --dir "$dir/$port" --daemonize yes \
      --pidfile "$dir/$port/redis.pid" --logfile "$dir/$port/redis.log"
  done
  for port in $ports; do
    for _ in $(seq 1 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  done
  # shellcheck disable=SC2046
  redis-cli --cluster create $(for port in $ports; do printf '127.0.0.1:%s ' "$port"; done) \
    --cluster-replicas 1 --cluster-yes >"$dir/create.log"
  for _ in $(seq 1 100); do
    if ready && [ "$(redis-cli -p "$base" cluster nodes | grep -c slave)" = 3 ]; then
      echo "cluster ready on 127.0.0.1:$base-$((base + 5))"
      return
    fi
    sleep 0.2
  done
  echo "cluster did not become ready; see $dir" >&2
  exit 1
}

stop() {
  for port in $ports; do
    if [ -f "$dir/$port/redis.pid" ]; then kill "$(cat "$dir/$port/redis.pid")" 2>/dev/null || true; fi
  done
  for port in $ports; do
    for _ in $(seq 1 50); do redis-cli -p "$port" ping >/dev/null 2>&1 || break; sleep 0.1; done
  done
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
