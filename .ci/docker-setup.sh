#!/usr/bin/env bash
# Provision a local Docker engine and a local base image for chef's Docker tests.
# Run as root, by hand or from CI. Idempotent: a second run only verifies (~5 s).
#
# Why this exists: no Docker engine runs on the dev/CI machines and no image can
# be pulled from any registry, so we install Debian's engine, start dockerd, and
# build the base image ourselves with debootstrap from the machine's apt mirror.
#
# Notes (verified on Debian bookworm, Docker 20.10.24+dfsg1):
# - Always use Debian's client /usr/bin/docker: /usr/local/bin/docker may be a
#   different client without buildx. Debian's 20.10 client does BuildKit itself
#   with DOCKER_BUILDKIT=1 (RUN --mount=type=cache / type=secret work without a
#   `# syntax=` line, which would need a registry pull); docker-buildx is not
#   needed (and is not packaged for bookworm).
# - dockerd lives in /usr/sbin. Default flags (overlay2, iptables) work here.
#   If they fail (stricter sandboxes), we retry once with
#   --iptables=false --ip-masq=false --storage-driver=vfs: builds use
#   --network host, so the bridge network needs no NAT, and vfs works on any fs.
#   Override with CHEF_DOCKERD_FLAGS="..." (then only those flags are tried).
# - Network egress goes through a TLS-intercepting proxy whose CA is only in the
#   host bundle, so the host's /etc/ssl/certs/ca-certificates.crt is copied into
#   the image (Debian's pip, also in venvs, uses that bundle). The CA sources in
#   /usr/local/share/ca-certificates are copied too, so an update-ca-certificates
#   run inside an image keeps them. No pip config is copied: none is needed.
# - Builds/containers must use --network host to reach the package registry.
set -euo pipefail

IMAGE="${CHEF_TEST_BASE_IMAGE:-chef-test-base:bookworm}"
SUITE=bookworm
LOG="${CHEF_DOCKERD_LOG:-/var/log/chef-dockerd.log}"
LOG_NAME=docker-setup
# shellcheck source=.ci/lib.sh
. "$(dirname "$0")/lib.sh"  # DOCKER, log, die, redact, apt_install, debian_mirror, finish_rootfs
export DOCKER_HOST=unix:///var/run/docker.sock

require_root
WORK=$(mktemp -d /var/tmp/chef-docker-setup.XXXXXX)
trap 'rm -rf --one-file-system "$WORK"' EXIT

# --- 1. packages -------------------------------------------------------------
if [ -x "$DOCKER" ] && command -v dockerd >/dev/null && command -v debootstrap >/dev/null; then
  log "packages: docker.io and debootstrap already installed"
else
  apt_install docker.io debootstrap
fi

# --- 2. engine ---------------------------------------------------------------
log_tail() { grep -vE 'level=(debug|info)' "$LOG" 2>/dev/null | tail -n 20 >&2 || true; }  # warnings+errors
engine_up() { [ -S /var/run/docker.sock ] && timeout 20 "$DOCKER" info >/dev/null 2>&1; }
wait_engine() {  # $1 = pid of a dockerd to watch (empty: just wait)
  local i
  for i in $(seq 60); do
    engine_up && return 0
    [ -z "${1:-}" ] || kill -0 "$1" 2>/dev/null || return 1
    sleep 1
  done
  return 1
}
if engine_up; then
  log "engine: dockerd already running"
elif pgrep -x dockerd >/dev/null; then
  log "engine: a dockerd is starting, waiting for it"
  wait_engine "" || { log_tail; die "existing dockerd not answering"; }
else
  if [ -n "${CHEF_DOCKERD_FLAGS:-}" ]; then attempts=("$CHEF_DOCKERD_FLAGS")
  else attempts=("" "--iptables=false --ip-masq=false --storage-driver=vfs"); fi
  mkdir -p "$(dirname "$LOG")"
  for flags in "${attempts[@]}"; do
    log "engine: starting dockerd ${flags:-(default flags)}, log $LOG"
    # setsid+nohup: dockerd outlives this script and CI step process groups.
    # shellcheck disable=SC2086  # flags are meant to be word-split
    nohup setsid dockerd $flags >>"$LOG" 2>&1 </dev/null &
    pid=$!
    if wait_engine "$pid"; then break; fi
    log "engine: dockerd ${flags:-(default flags)} did not come up"
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  done
  engine_up || { log_tail; die "could not start dockerd (see $LOG)"; }
fi
VERSION=$("$DOCKER" version --format '{{.Server.Version}}')

# --- 3. base image -----------------------------------------------------------
if "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1; then
  log "image: $IMAGE already present"
else
  MIRROR=$(debian_mirror "$SUITE")
  ROOTFS="$WORK/rootfs"
  log "image: debootstrap $SUITE from $(redact <<<"$MIRROR") (about a minute)"
  debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
    "$SUITE" "$ROOTFS" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
    { tail -n 30 "$WORK/debootstrap.log" | redact >&2; die "debootstrap failed"; }
  finish_rootfs "$ROOTFS"
  log "image: importing as $IMAGE"
  tar -C "$ROOTFS" -c . | "$DOCKER" import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$IMAGE" >/dev/null
  rm -rf --one-file-system "$ROOTFS"
fi

# --- 4. verify ---------------------------------------------------------------
log "verify: pip download in a --network host container"
"$DOCKER" run --rm --network host "$IMAGE" sh -c \
  'python3 -m venv /v && /v/bin/pip download --no-cache-dir --no-deps -d /tmp/x six' \
  >"$WORK/pip.log" 2>&1 || { tail -n 20 "$WORK/pip.log" | redact >&2; die "pip cannot reach the registry"; }

log "verify: BuildKit build with --network host, cache mount and secret mount"
mount_selftest "$DOCKER" "$IMAGE" chef-docker-setup-selftest:latest --progress plain

echo "docker ready: engine $VERSION, base image $IMAGE"
