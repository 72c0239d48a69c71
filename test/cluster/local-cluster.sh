#!/usr/bin/env bash
# A local Redis Cluster for tests, benches and CI: six nodes on loopback (three masters, three replicas).
#   local-cluster.sh start   starts the nodes (ports CLUSTER_PORT..CLUSTER_PORT+5, default 7000) and creates the cluster
#   local-cluster.sh stop    stops them and removes their data
# Nodes keep no data on disk (no RDB, no AOF): a test cluster is thrown away after the run. The cluster counts as
# ready once every replica holds its master's data: a replica that had not synced yet (CI saw one at offset 0) either
# refuses to take over or, taking over, loses its master's keys.
set -euo pipefail
base=${CLUSTER_PORT:-7000}
dir=${CLUSTER_DIR:-${TMPDIR:-/tmp}/oauth-cc-cluster-$base}
ports=$(seq "$base" $((base + 5)))

ready() { [ "$(redis-cli -p "$base" cluster info 2>/dev/null | tr -d '\r' | grep -c '^cluster_state:ok')" = 1 ]; }

# Every replica's link to its master is up and its first sync done.
synced() {
  local port info
  for port in $ports; do
    info=$(redis-cli -p "$port" info replication 2>/dev/null | tr -d '\r')
    grep -q '^role:slave' <<<"$info" || continue
    grep -q '^master_link_status:up' <<<"$info" || return 1
    grep -q '^master_sync_in_progress:0' <<<"$info" || return 1
  done
}

start() {
  if ready; then echo "cluster already running on $base-$((base + 5))"; return; fi
  mkdir -p "$dir"
  for port in $ports; do
    mkdir -p "$dir/$port"
    redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file "$dir/$port/nodes.conf" \
      --cluster-node-timeout 2000 --repl-diskless-sync-delay 0 --save "" --appendonly no --dir "$dir/$port" --daemonize yes \
      --pidfile "$dir/$port/redis.pid" --logfile "$dir/$port/redis.log"
  done
  for port in $ports; do
    for _ in $(seq 1 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  done
  # shellcheck disable=SC2046
  redis-cli --cluster create $(for port in $ports; do printf '127.0.0.1:%s ' "$port"; done) \
    --cluster-replicas 1 --cluster-yes >"$dir/create.log"
  for _ in $(seq 1 100); do
    if ready && [ "$(redis-cli -p "$base" cluster nodes | grep -c slave)" = 3 ] && synced; then
      echo "cluster ready on 127.0.0.1:$base-$((base + 5))"
      return
    fi
    sleep 0.2
  done
  echo "cluster did not become ready; the end of each node's log:" >&2
  for port in $ports; do tail -n 5 "$dir/$port/redis.log" | sed "s/^/$port: /" >&2; done
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
