#!/bin/sh
# shellcheck disable=SC2317  # the cleanup functions run from traps
# Hook-tool calls of the redis-k8s charm, hook by hook: a fake Juju runs the
# packed dispatch (build/charm/redis-k8s) through the charm's main hooks on a
# leader unit with a healthy Redis and Sentinel, and prints each hook's
# hook-tool calls, the total, and any call made twice within one hook (same
# argv and input).
#
#   bench/redis_k8s/hook_calls.sh [BUILD_DIR] [-v]     (-v: print every call)
#
# Build first: cmake --build BUILD_DIR --target charm pebble-server fake-hook-tool
# Needs root (Pebble chowns to the redis user), a `redis` user, jq,
# redis-server and user namespaces: after starting each container's Pebble
# (tools/pebble-server on a unix socket, OPS_PEBBLE_SOCKET_DIR), the script
# re-runs itself in a new user and network namespace (unshare -rn), so that
# its redis-server and Sentinel own 6379 and 26379 on a loopback of their
# own. The hook tools are tests/support/fake_juju's fake-hook-tool. Sentinel announces hostnames as
# the charm's sentinel.conf has it, so leader-host stays the unit's name.
# The departing leader's handover finds no replica (one real Redis): it waits
# the charm's catch-up timeout (3 s) and logs the failed failover.
# Exit status 1 when a hook fails, a hook makes a duplicate call, or
# update-status on the healthy leader makes more than 5 calls.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../build}" && pwd)
verbose=${2:-}
charm_src="$build/charm/redis-k8s"
pebble_server="$build/tools/pebble-server/pebble-server"

if [ -z "${REDIS_K8S_BENCH_WORK:-}" ]; then
  # Outside the namespaces: the Pebble servers (they chown to the redis user,
  # which a user namespace does not map), then the rest inside them.
  for f in "$charm_src/dispatch" "$pebble_server"; do
    [ -x "$f" ] || { echo "missing $f: build the charm and pebble-server targets" >&2; exit 1; }
  done
  work=$(mktemp -d "${TMPDIR:-/tmp}/redis-k8s-hook-calls-XXXXXX")
  pids=
  cleanup() {
    for p in $pids; do kill "$p" 2> /dev/null || true; done
    wait 2> /dev/null || true
    rm -rf "$work"
  }
  trap cleanup EXIT INT TERM
  for container in redis sentinel; do
    mkdir -p "$work/pebble/$container" "$work/root-$container"
    "$pebble_server" --socket "$work/pebble/$container/pebble.socket" \
      --root "$work/root-$container" > "$work/pebble-$container.log" 2>&1 &
    pids="$pids $!"
  done
  for container in redis sentinel; do
    i=0
    until [ -S "$work/pebble/$container/pebble.socket" ]; do
      i=$((i + 1)); [ "$i" -lt 100 ] || { echo "pebble-server did not start" >&2; exit 1; }
      sleep 0.05
    done
  done
  status=0
  REDIS_K8S_BENCH_WORK=$work unshare -rn "$0" "$build" "$verbose" || status=$?
  exit "$status"
fi

work=$REDIS_K8S_BENCH_WORK
ip link set lo up
pids=
stop_redis() {
  for p in $pids; do kill "$p" 2> /dev/null || true; done
  wait 2> /dev/null || true
}
trap stop_redis EXIT INT TERM
cp -r "$charm_src" "$work/charm"
"$build/tests/support/fake_juju/fake-hook-tool" --install "$work/bin"
mkdir -p "$work/state" "$work/logs"
export FAKE_JUJU_STATE="$work/state"
state="$work/state/state.json"
cat > "$state" <<'JSON'
{"leader": true, "config": {"enable-tls": false},
 "goal-state": {"units": {"redis-k8s/0": {"status": "active", "since": "2026-01-01 00:00:00Z"}},
                "relations": {}},
 "relations": {"0": {"endpoint": "redis-peers", "remote-app": "redis-k8s", "units": [],
                     "data": {}}}}
JSON
edit_state() {
  jq "$@" "$state" > "$state.new"
  mv "$state.new" "$state"
}

# Redis and Sentinel as the charm's layers would run them, with the
# passwords the leader generated.
start_redis() {
  password=$(jq -r '.relations["0"].data["redis-k8s"]["redis-password"]' "$state")
  sentinel_password=$(jq -r '.relations["0"].data["redis-k8s"]["sentinel-password"]' "$state")
  redis-server --port 6379 --bind 127.0.0.1 --requirepass "$password" --save '' \
    --dir "$work" > "$work/redis.log" 2>&1 &
  pids="$pids $!"
  cat > "$work/sentinel.conf" <<CONF
port 26379
bind 127.0.0.1
dir $work
requirepass $sentinel_password
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel monitor redis-k8s $(jq -r '.relations["0"].data["redis-k8s"]["leader-host"]' "$state") 6379 1
sentinel auth-pass redis-k8s $password
CONF
  redis-server "$work/sentinel.conf" --sentinel > "$work/sentinel.log" 2>&1 &
  pids="$pids $!"
  i=0
  until redis-cli -p 26379 -a "$sentinel_password" --no-auth-warning \
          sentinel master redis-k8s 2> /dev/null | grep -q '^ip$'; do
    i=$((i + 1)); [ "$i" -lt 100 ] || { echo "Sentinel did not start" >&2; exit 1; }
    sleep 0.05
  done
}

total=0
failed=0
n=0
hook() {  # hook NAME [VAR=VALUE...]: runs one dispatch and reports its calls
  hook_name=$1
  shift
  n=$((n + 1))
  log="$work/logs/$n-$hook_name"
  : > "$log"
  if ! env -i PATH="$work/bin:/usr/bin:/bin" FAKE_JUJU_STATE="$FAKE_JUJU_STATE" \
      FAKE_JUJU_LOG="$log" OPS_PEBBLE_SOCKET_DIR="$work/pebble" \
      JUJU_DISPATCH_PATH="hooks/$hook_name" JUJU_UNIT_NAME=redis-k8s/0 JUJU_MODEL_NAME=bench \
      JUJU_MODEL_UUID=00000000-0000-4000-8000-000000000000 JUJU_VERSION=3.6.0 \
      JUJU_CHARM_DIR="$work/charm" "$@" "$work/charm/dispatch" > "$work/out" 2>&1; then
    echo "$hook_name FAILED:" >&2
    cat "$work/out" >&2
    failed=1
  fi
  calls=$(wc -l < "$log")
  total=$((total + calls))
  summary=$(sed 's/^printf %s .* | //; s/ .*//' "$log" | sort | uniq -c | sort -rn |
            awk '{ printf "%s%s%s", sep, $2, ($1 > 1 ? " x" $1 : ""); sep = ", " }')
  printf '%-34s %3d  %s\n' "$hook_name" "$calls" "$summary"
  dups=$(sort "$log" | uniq -d)
  if [ -n "$dups" ]; then
    echo "$dups" | sed 's/^/    DUPLICATE: /'
    failed=1
  fi
  if [ -n "$verbose" ]; then sed 's/^/    /' "$log"; fi
}
peer_env="JUJU_RELATION=redis-peers JUJU_RELATION_ID=redis-peers:0 JUJU_REMOTE_APP=redis-k8s"
client_env="JUJU_RELATION=redis JUJU_RELATION_ID=redis:1 JUJU_REMOTE_APP=client"

printf '%-34s %3s  %s\n' hook calls "hook tools"
hook install
hook leader-elected
start_redis
hook config-changed
hook redis-pebble-ready JUJU_WORKLOAD_NAME=redis
hook sentinel-pebble-ready JUJU_WORKLOAD_NAME=sentinel
hook update-status
update_status_calls=$calls

edit_state '.relations["0"].units = ["redis-k8s/1"]
            | .relations["0"].data["redis-k8s/1"] = {"ingress-address": "10.1.0.6"}
            | ."goal-state".units["redis-k8s/1"] = {"status": "active", "since": "2026-01-01 00:00:01Z"}'
# shellcheck disable=SC2086
hook redis-peers-relation-joined $peer_env JUJU_REMOTE_UNIT=redis-k8s/1
# shellcheck disable=SC2086
hook redis-peers-relation-changed $peer_env JUJU_REMOTE_UNIT=redis-k8s/1

# A client that authenticates (the redis_k8s library's auth-capable).
edit_state '.relations["1"] = {"endpoint": "redis", "remote-app": "client", "units": [],
                               "data": {"client": {"auth-capable": "true"}}}'
# shellcheck disable=SC2086
hook redis-relation-created $client_env
edit_state '.relations["1"].units = ["client/0"]
            | .relations["1"].data["client/0"] = {"ingress-address": "10.1.0.9"}'
# shellcheck disable=SC2086
hook redis-relation-joined $client_env JUJU_REMOTE_UNIT=client/0
# shellcheck disable=SC2086
hook redis-relation-changed $client_env JUJU_REMOTE_UNIT=client/0

# The leader itself departs: Juju runs relation-departed on it for each peer.
# shellcheck disable=SC2086
hook redis-peers-relation-departed $peer_env JUJU_REMOTE_UNIT=redis-k8s/1 \
  JUJU_DEPARTING_UNIT=redis-k8s/0

echo "total hook-tool calls: $total in $n hooks"
echo "update-status on the healthy leader: $update_status_calls calls (goal: at most 5)"
[ "$update_status_calls" -le 5 ] || failed=1
exit "$failed"
