#!/usr/bin/env bash
# The project's main job: Redis with Sentinel, run by the ops-cpp redis-k8s
# charm on this machine the way Juju runs it on Kubernetes, with ops-sim.
#
# Installs the Debian packages it needs, builds ops-sim and packs the
# redis-k8s and redis-client charms, builds a redis "image" directory, then
# in a fresh model: deploys 3 redis-k8s units (real redis-server and
# redis-sentinel in each unit's pod) and redis-client, gets the admin
# password with an action and writes a key with it from the client's pod,
# integrates the two (redis-client says it authenticates, so the password
# stays on, unlike in the reference charm), writes the key with the password
# through the URL the client charm received, reads it back from a replica and asks a sentinel who the
# master is, then makes one fault (the master's Redis killed past Sentinel's
# down-after) with a writer going and prints the time to the new master and
# the writes acknowledged and lost. A trap destroys the model (namespaces, Pebble daemons, services,
# files) however the script ends. Run as root (network namespaces); where namespaces are not allowed
# it runs the Juju side only (--workloads=simulate) and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${OPS_JOBS:-$(nproc)}
wait_seconds=${OPS_DEMO_WAIT:-180}
build_dir=${OPS_DEMO_BUILD_DIR:-build}

say() { printf '\n==> %s\n' "$*"; }

say "Installing the Debian packages (scripts/install-deps.sh)"
./scripts/install-deps.sh

say "Building ops-sim and packing the redis-k8s and redis-client charms ($build_dir/, -j$jobs)"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" >/dev/null
cmake --build "$build_dir" -j "$jobs" --target ops-sim charm-redis-k8s charm-redis-client
build=$(cd "$build_dir" && pwd)
ops_sim_exe=$build/tools/ops-sim/ops-sim

say "Building the redis image directory (bin/redis_exporter from prometheus-redis-exporter)"
image=$build/redis-image
mkdir -p "$image/bin"
ln -sfn /usr/bin/prometheus-redis-exporter "$image/bin/redis_exporter"
echo "$image: bin/redis_exporter -> $(readlink "$image/bin/redis_exporter");" \
  "redis-server and redis-sentinel come from the redis-server and redis-sentinel packages"

# A fresh model dir that services running as the redis user can reach.
work=$(mktemp -d /tmp/ops-sim-demo.XXXXXX)
chmod 755 "$work"
model=$work/model
sim() { "$ops_sim_exe" --model-dir "$model" "$@"; }

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -f "$model/model.db" ]; then
    say "Cleaning up: ops-sim destroy (namespaces, Pebble daemons, services, files)"
    sim destroy || rc=1
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

workloads=run
if ! why=$(ip netns add "opssim-demo-probe-$$" 2>&1); then
  workloads=simulate
  say "NOTE: this machine does not allow network namespaces (${why:-not root});" \
    "falling back to --workloads=simulate: the Juju side runs for real, Redis does not"
else
  ip netns delete "opssim-demo-probe-$$"
fi

# Waits (bounded) until every unit of each app given is active and idle:
# `ops-sim wait-for` exits 0 then, 2 when a hook failed, 3 at the timeout.
wait_active() {
  local app rc
  for app in "$@"; do
    rc=0
    sim wait-for "$app" --status active --timeout "$wait_seconds" || rc=$?
    if [ "$rc" -ne 0 ]; then
      echo "ERROR: $app did not settle (all units active/idle) within ${wait_seconds}s" \
        "(ops-sim wait-for exit $rc)" >&2
      sim status >&2 || true
      echo "--- last lines of ops-sim debug-log ---" >&2
      sim debug-log | tail -n 40 >&2 || true
      exit 1
    fi
  done
}

# One value of a unit's peer application data bag (show-unit's YAML).
peer_value() {
  sim show-unit "$1" | awk -v key="$2:" '$1 == key {print $2; exit}'
}

# An action result field (run prints its results as YAML).
action_value() {
  local unit=$1 action=$2 key=$3
  sim run "$unit" "$action" | awk -v key="$key:" '$1 == key {print $2; exit}'
}

app_units() { sim status | awk -v app="$1" '$1 ~ "^" app "/[0-9]+\\*?$" {sub(/\*$/, "", $1); print $1}'; }
fqdn() { echo "${1%/*}-${1#*/}.${1%/*}-endpoints.demo.svc.cluster.local"; }

start=$(date +%s.%N)
say "ops-sim deploy build/redis-k8s.charm -n 3 --resource redis-image=$image" \
  "(model dir $model, --workloads=$workloads)"
sim --workloads "$workloads" --model demo deploy "$build/redis-k8s.charm" -n 3 \
  --resource "redis-image=$image"

say "ops-sim deploy build/redis-client.charm"
sim deploy "$build/redis-client.charm"

# update-status every 10 s (Juju's default is 5 minutes): the charm notices
# what Sentinel did between hooks.
sim model-config update-status-hook-interval=10s

say "Waiting until the redis-k8s units are active/idle (at most ${wait_seconds}s)"
wait_active redis-k8s
redis_active=$(date +%s.%N)

leader=$(sim status | awk '$1 ~ /^redis-k8s\/[0-9]+\*$/ {sub(/\*$/, "", $1); print $1}')
leader_host=$(peer_value "$leader" leader-host)
say "Peer application bag (ops-sim show-unit $leader): leader-host: $leader_host"

say "ops-sim run $leader get-initial-admin-password"
password=$(action_value "$leader" get-initial-admin-password redis-password)
echo "redis-password: $password"
sentinel_password=$(action_value "$leader" get-sentinel-password sentinel-password)
echo "ops-sim run $leader get-sentinel-password -> sentinel-password: $sentinel_password"

if [ "$workloads" = run ]; then
  cli() { sim ssh redis-client/0 -- redis-cli "$@"; }
  say "From the client's pod, without the password: redis-cli -h $leader_host GET demo-key"
  cli -h "$leader_host" GET demo-key
  say "From the client's pod, with it: redis-cli -h $leader_host -a <password> SET demo-key" \
    "written-with-the-admin-password"
  cli -h "$leader_host" -a "$password" --no-auth-warning SET demo-key \
    written-with-the-admin-password
fi

say "ops-sim integrate redis-k8s redis-client"
integrate_start=$(date +%s.%N)
sim integrate redis-k8s redis-client

say "Waiting until every unit is active/idle (at most ${wait_seconds}s)"
wait_active redis-k8s redis-client
end=$(date +%s.%N)
# Deploy to active, without the password steps run between the two waits.
elapsed=$(awk -v a="$start" -v b="$redis_active" -v c="$integrate_start" -v d="$end" \
  'BEGIN {printf "%.1f", (b - a) + (d - c)}')

url=$(sim status | grep -o 'redis://[^ ]*' | head -n 1)
hostport=${url#redis://}
host=${hostport%:*}
port=${hostport##*:}
say "The client charm received $url"
say "ops-sim run $leader get-initial-admin-password (after integrating)"
# redis-client says `auth-capable` in its application data, so the password
# stays on (the reference Python charm switches it off for every client).
sim run "$leader" get-initial-admin-password

if [ "$workloads" = simulate ]; then
  say "Skipping the redis-cli steps: with --workloads=simulate no Redis runs"
else
  say "From the client's pod, through its URL with the password: redis-cli -h $host -p $port" \
    "-a <password> GET demo-key," \
    "then SET demo-key hello-from-ops-cpp"
  cli -h "$host" -p "$port" -a "$password" --no-auth-warning GET demo-key
  cli -h "$host" -p "$port" -a "$password" --no-auth-warning SET demo-key hello-from-ops-cpp

  replica=""
  for unit in $(app_units redis-k8s); do
    if [ "$(fqdn "$unit")" != "$leader_host" ]; then
      replica=$(fqdn "$unit")
      break
    fi
  done
  say "Reading it back from a replica: redis-cli -h $replica GET demo-key, then ROLE"
  value=""
  for _ in $(seq 1 50); do
    value=$(cli -h "$replica" -a "$password" --no-auth-warning GET demo-key)
    [ "$value" = hello-from-ops-cpp ] && break
    sleep 0.2
  done
  echo "GET demo-key -> $value"
  if [ "$value" != hello-from-ops-cpp ]; then
    echo "ERROR: the replica $replica did not get demo-key" >&2
    exit 1
  fi
  cli -h "$replica" -a "$password" --no-auth-warning ROLE

  say "Asking the sentinel on $replica: redis-cli -p 26379 -a <sentinel password>" \
    "SENTINEL MASTER redis-k8s"
  sentinel_out=$(cli -h "$replica" -p 26379 -a "$sentinel_password" --no-auth-warning \
    SENTINEL MASTER redis-k8s)
  echo "$sentinel_out" | head -n 6
  sentinel_ip=$(echo "$sentinel_out" | awk 'prev == "ip" {print; exit} {prev = $0}')
  if [ "$sentinel_ip" != "$leader_host" ]; then
    echo "ERROR: sentinel says the master is $sentinel_ip, the peer bag says $leader_host" >&2
    exit 1
  fi
  echo "Sentinel's master agrees with the peer bag's leader-host ($leader_host)"

  # One fault end to end: a writer in the client's pod does SET then WAIT 1
  # 1000 (acknowledged = at least one replica has it) against the host of
  # the client's URL; the master's redis-server is killed (-9) again and
  # again for 7 s, past Sentinel's down-after (5 s), so Sentinel elects a new
  # master; the charm follows at its next hook (update-status every 10 s
  # here) and the client's URL moves to it. Every acknowledged key must be
  # on the new master.
  old_unit=""
  for unit in $(app_units redis-k8s); do
    [ "$(fqdn "$unit")" = "$leader_host" ] && old_unit=$unit
  done
  other=$replica
  say "Fault: kill -9 the master's redis ($old_unit) for 7 s, past Sentinel's down-after" \
    "(5 s), with a writer doing SET + WAIT 1 1000 through the client's URL"
  echo "$host" >"$work/ha-target"
  : >"$work/ha-acked"
  # shellcheck disable=SC2016 # expanded by the pod's shell
  sim ssh redis-client/0 -- env REDISCLI_AUTH="$password" WORK="$work" sh -c '
    n=0
    while [ ! -e "$WORK/ha-stop" ]; do
      n=$((n + 1))
      out=$(printf "SET ha:%s %s\nWAIT 1 1000\n" "$n" "$n" |
        timeout 3 redis-cli -h "$(cat "$WORK/ha-target")" 2>/dev/null | tr "\n" " ")
      case "$out" in "OK 1 " | "OK 2 ") echo "ha:$n" >>"$WORK/ha-acked" ;; esac
    done' &
  writer=$!
  sleep 3
  fault_start=$(date +%s.%N)
  (
    end_kill=$(($(date +%s) + 7))
    while [ "$(date +%s)" -lt "$end_kill" ]; do
      sim kill "$old_unit" --container redis --service redis >/dev/null 2>&1 || true
      sleep 0.2
    done
  ) &
  killer=$!
  new_master="" master_seconds="" url_seconds=""
  for _ in $(seq 1 600); do
    now=$(date +%s.%N)
    if [ -z "$new_master" ]; then
      named=$(cli -h "$other" -p 26379 -a "$sentinel_password" --no-auth-warning --raw \
        SENTINEL get-master-addr-by-name redis-k8s 2>/dev/null | head -n 1)
      if [ -n "$named" ] && [ "$named" != "$leader_host" ] &&
        [ "$(cli -h "$named" -a "$password" --no-auth-warning ROLE | head -n 1)" = master ]; then
        new_master=$named
        master_seconds=$(awk -v a="$fault_start" -v b="$now" 'BEGIN {printf "%.1f", b - a}')
        echo "Sentinel's new master: $new_master, ${master_seconds}s after the fault"
      fi
    fi
    url_now=$(sim status | grep -o 'redis://[^ ]*' | head -n 1)
    url_host=${url_now#redis://}
    url_host=${url_host%:*}
    [ -n "$url_host" ] && echo "$url_host" >"$work/ha-target"
    if [ -n "$new_master" ] && [ "$url_host" = "$new_master" ]; then
      url_seconds=$(awk -v a="$fault_start" -v b="$now" 'BEGIN {printf "%.1f", b - a}')
      echo "The client's URL names it ($url_now), ${url_seconds}s after the fault"
      break
    fi
    sleep 0.2
  done
  wait "$killer"
  sleep 2
  touch "$work/ha-stop"
  wait "$writer" || true
  if [ -z "$url_seconds" ]; then
    echo "ERROR: no new master in the client's URL within 2 minutes" >&2
    exit 1
  fi
  acked=$(wc -l <"$work/ha-acked")
  present=0
  while read -r batch; do
    # shellcheck disable=SC2086 # one key a word
    n=$(cli -h "$new_master" -a "$password" --no-auth-warning EXISTS $batch)
    present=$((present + n))
  done < <(xargs -n 500 <"$work/ha-acked")
  lost=$((acked - present))
  say "Fault figures: new master after ${master_seconds}s, client's URL on it after" \
    "${url_seconds}s; writes acknowledged: $acked; acknowledged writes lost: $lost"
  if [ "$lost" -ne 0 ]; then
    echo "ERROR: $lost acknowledged writes are missing on the new master" >&2
    exit 1
  fi
  say "The killed unit's Redis came back as a replica of the new master:" \
    "redis-cli -h $leader_host ROLE"
  for _ in $(seq 1 100); do
    role=$(cli -h "$leader_host" -a "$password" --no-auth-warning ROLE 2>/dev/null | head -n 2 |
      tr '\n' ' ')
    [ "$role" = "slave $new_master " ] && break
    sleep 0.3
  done
  echo "$role"
fi

say "ops-sim status"
sim status

say "Deploy to active/idle: ${elapsed}s (3 redis-k8s units, redis-client, integrated;" \
  "password steps not counted)"
