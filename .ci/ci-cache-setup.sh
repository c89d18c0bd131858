#!/usr/bin/env bash
# A local image registry and a second Docker engine ("runner B") for chef's CI-cache tests
# (tests/docker/test_docker_ci_cache.py) and bench/ci_cache.py. Run as root, after
# .ci/docker-setup.sh (the first engine, "runner A", and the base image).
#
#   bash .ci/ci-cache-setup.sh start    # idempotent; prints `export ...` lines on stdout
#   bash .ci/ci-cache-setup.sh env      # the same lines, without starting anything
#   bash .ci/ci-cache-setup.sh stop     # stops what `start` started (by PID), then checks
#                                       # that the first engine still runs a container
#
# What `start` runs (each recorded by PID under $STATE):
# - the registry: Debian's `docker-registry` (distribution 2.8) on 127.0.0.1:$PORT only,
#   storage $DATA/registry (emptied whenever the registry is started), its HTTP access log
#   (one line per request, with the bytes sent) in $LOGS/registry-access.log;
# - runner B: a second dockerd with its own --data-root ($DATA/docker-b, emptied whenever it is
#   started: an empty cache), --exec-root, --pidfile, socket ($STATE/docker-b.sock), config file
#   and bridge ($BRIDGE, made here with `ip link`), and --iptables=false. Never `--bridge none`:
#   a dockerd started with it deletes docker0, and every container of the first engine with it.
# Both engines reach the registry over loopback, which Docker treats as an insecure (plain
# HTTP) registry by default (127.0.0.0/8), so neither needs a certificate or a daemon.json.
# The tests find them through the variables printed (CHEF_TEST_REGISTRY, CHEF_TEST_DOCKER_B,
# CHEF_TEST_REGISTRY_LOG); .ci/run evals them. With CHEF_STRICT_SKIPS=1 (CI) a test that finds
# them missing fails instead of skipping.
set -euo pipefail

PORT="${CHEF_CI_REGISTRY_PORT:-5055}"
BRIDGE="${CHEF_CI_BRIDGE:-chefci0}"
BRIDGE_ADDR="${CHEF_CI_BRIDGE_ADDR:-172.31.253.1/24}"
STATE=/var/run/chef-ci
DATA=/var/lib/chef-ci
LOGS=/var/log/chef-ci
BASE="${CHEF_TEST_BASE_IMAGE:-chef-test-base:bookworm}"
SOCK="$STATE/docker-b.sock"
LOG_NAME=ci-cache-setup
# shellcheck source=.ci/lib.sh
. "$(dirname "$0")/lib.sh"  # DOCKER, PATH, log, die

require_root

print_env() {
  echo "export CHEF_TEST_REGISTRY=127.0.0.1:$PORT"
  echo "export CHEF_TEST_REGISTRY_LOG=$LOGS/registry-access.log"
  echo "export CHEF_TEST_DOCKER_B=unix://$SOCK"
}

alive() {  # $1 = pid file, $2 = expected command name, $3 = a word of its command line
  # The command line too: a stale pid file must never name the first engine's dockerd.
  local pid
  [ -f "$1" ] || return 1
  pid=$(cat "$1")
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] &&
    tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "$3"
}

registry_up() { python3 - "$PORT" <<'EOF' 2>/dev/null
import sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/v2/", timeout=3) as r:
    sys.exit(0 if r.status == 200 else 1)
EOF
}

engine_b_up() { [ -S "$SOCK" ] && timeout 20 "$DOCKER" -H "unix://$SOCK" info >/dev/null 2>&1; }

# The first engine must still run a container on its default bridge network (docker0): what a
# second engine could break.
check_engine_a() {
  "$DOCKER" run --rm "$BASE" true >/dev/null 2>&1 ||
    die "the first engine no longer runs a container on its default network (docker run --rm $BASE true)"
  log "engine A: still runs a container on its default bridge"
}

stop_pid() {  # $1 = pid file, $2 = command name, $3 = a word of its command line, $4 = what
  local pid i
  if ! alive "$1" "$2" "$3"; then rm -f "$1"; return 0; fi
  pid=$(cat "$1")
  log "$4: stopping pid $pid"
  kill -TERM "$pid"
  for i in $(seq 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then log "$4: pid $pid still there, SIGKILL"; kill -KILL "$pid"; fi
  rm -f "$1"
}

start_registry() {
  if alive "$STATE/registry.pid" docker-registry "$STATE/registry.yml" && registry_up; then
    log "registry: already running on 127.0.0.1:$PORT (pid $(cat "$STATE/registry.pid"))"
    return
  fi
  if registry_up; then die "something else answers on 127.0.0.1:$PORT (set CHEF_CI_REGISTRY_PORT)"; fi
  if ! command -v docker-registry >/dev/null; then
    log "packages: installing docker-registry"
    # Never let the package start its own service (it would listen on every address, port 5000).
    local guard=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
      guard=1
    fi
    { apt-get update -q && apt-get install -y -q --no-install-recommends docker-registry; } \
      >"$LOGS/apt.log" 2>&1 || { [ -z "$guard" ] || rm -f /usr/sbin/policy-rc.d; tail -n 20 "$LOGS/apt.log" >&2; die "apt-get failed"; }
    [ -z "$guard" ] || rm -f /usr/sbin/policy-rc.d
  fi
  rm -rf --one-file-system "$DATA/registry"
  mkdir -p "$DATA/registry"
  cat >"$STATE/registry.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $DATA/registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$PORT
EOF
  log "registry: starting on 127.0.0.1:$PORT, storage $DATA/registry, access log $LOGS/registry-access.log"
  : >"$LOGS/registry-access.log"
  # The access log (gorilla's combined format) goes to stdout, the registry's own log to stderr.
  nohup setsid docker-registry serve "$STATE/registry.yml" \
    >>"$LOGS/registry-access.log" 2>>"$LOGS/registry.log" </dev/null &
  echo $! >"$STATE/registry.pid"
  local i
  for i in $(seq 40); do registry_up && break; sleep 0.25; done
  registry_up || { tail -n 20 "$LOGS/registry.log" >&2; die "registry did not come up"; }
}

start_bridge() {
  if ip link show "$BRIDGE" >/dev/null 2>&1; then
    log "bridge: $BRIDGE already there"
  else
    log "bridge: creating $BRIDGE ($BRIDGE_ADDR) for runner B"
    ip link add name "$BRIDGE" type bridge
    ip addr add "$BRIDGE_ADDR" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up
}

start_engine_b() {
  if alive "$STATE/docker-b.pid" dockerd "$STATE/docker-b.pid" && engine_b_up; then
    log "engine B: already running (pid $(cat "$STATE/docker-b.pid")), $SOCK"
    return
  fi
  stop_pid "$STATE/docker-b.pid" dockerd "$STATE/docker-b.pid" "engine B (not answering)"
  # The same storage driver as the first engine (docker-setup.sh may have fallen back to vfs).
  local driver
  driver=$("$DOCKER" info --format '{{.Driver}}')
  if grep -q " $DATA/docker-b" /proc/mounts; then die "mounts left under $DATA/docker-b"; fi
  rm -rf --one-file-system "$DATA/docker-b" "$STATE/b"
  mkdir -p "$DATA/docker-b" "$STATE/b"
  echo '{}' >"$STATE/daemon-b.json"  # not /etc/docker/daemon.json, whatever it holds
  log "engine B: starting dockerd (data-root $DATA/docker-b, $driver, bridge $BRIDGE), log $LOGS/dockerd-b.log"
  nohup setsid dockerd --config-file "$STATE/daemon-b.json" \
    --data-root "$DATA/docker-b" --exec-root "$STATE/b" --pidfile "$STATE/docker-b.pid" \
    -H "unix://$SOCK" --bridge "$BRIDGE" --iptables=false --ip-masq=false \
    --storage-driver "$driver" >>"$LOGS/dockerd-b.log" 2>&1 </dev/null &
  local pid=$! i
  for i in $(seq 60); do
    engine_b_up && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  engine_b_up || { grep -vE 'level=(debug|info)' "$LOGS/dockerd-b.log" | tail -n 20 >&2; die "engine B did not come up"; }
  # dockerd writes its --pidfile itself; check it is the one we started.
  [ "$(cat "$STATE/docker-b.pid")" = "$pid" ] || die "engine B's pid file does not hold $pid"
}

stop_all() {
  stop_pid "$STATE/docker-b.pid" dockerd "$STATE/docker-b.pid" "engine B"
  if ip link show "$BRIDGE" >/dev/null 2>&1; then log "bridge: deleting $BRIDGE"; ip link del "$BRIDGE"; fi
  if grep -q " $DATA/docker-b" /proc/mounts; then
    log "engine B: mounts left under $DATA/docker-b, data root kept"
  else
    rm -rf --one-file-system "$DATA/docker-b" "$STATE/b"
  fi
  stop_pid "$STATE/registry.pid" docker-registry "$STATE/registry.yml" "registry"
  rm -rf --one-file-system "$DATA/registry"
  check_engine_a
}

case "${1:-}" in
  start)
    mkdir -p "$STATE" "$DATA" "$LOGS"
    "$DOCKER" info >/dev/null 2>&1 || die "the first engine is not running (run .ci/docker-setup.sh)"
    start_registry
    start_bridge
    start_engine_b
    check_engine_a
    "$DOCKER" -H "unix://$SOCK" version --format 'engine B: {{.Server.Version}}' >&2
    print_env
    ;;
  env) print_env ;;
  stop) stop_all ;;
  *) die "usage: $0 start|env|stop" ;;
esac
