#!/usr/bin/env bash
# Provision Podman/Buildah as Debian packages them (bookworm: podman 4.3, buildah 1.28) and the
# local base image for chef's podman test (tests/docker/test_docker_podman.py).
# Run as root after .ci/docker-setup.sh (the base image comes from its engine). Idempotent: a
# second run only verifies (a few seconds).
#
# Notes (verified on Debian bookworm, podman 4.3.1, buildah 1.28.2, as root):
# - No registry can be reached: the base image is handed over from the Docker engine with
#   `podman pull docker-daemon:IMAGE` (it keeps its name: docker.io/library/IMAGE; short names
#   resolve to it). The test itself hands over the pyz base image it builds on the engine.
# - Builds use --network host, like the docker tests. `podman build` runs its RUN steps with
#   buildah's runtime; `podman run` may be refused its rlimits in a sandbox without
#   CAP_SYS_RESOURCE ("error setting rlimit type 7"): the test then runs the image with
#   `buildah run` (tests/docker/dockerlib.py Podman.run).
set -euo pipefail

IMAGE="${CHEF_TEST_BASE_IMAGE:-chef-test-base:bookworm}"
LOG_NAME=podman-setup
# shellcheck source=.ci/lib.sh
. "$(dirname "$0")/lib.sh"  # DOCKER, log, die, redact, apt_install, mount_selftest
export DOCKER_HOST=unix:///var/run/docker.sock

require_root
WORK=$(mktemp -d /var/tmp/chef-podman-setup.XXXXXX)
trap 'rm -rf --one-file-system "$WORK"' EXIT

# --- 1. packages -------------------------------------------------------------
if command -v podman >/dev/null && command -v buildah >/dev/null; then
  log "packages: podman and buildah already installed"
else
  apt_install podman buildah
fi

# --- 2. base image -----------------------------------------------------------
if podman image exists "$IMAGE"; then
  log "image: $IMAGE already in podman's storage"
else
  "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1 ||
    die "$IMAGE is not in the Docker engine (run .ci/docker-setup.sh first)"
  log "image: podman pull docker-daemon:$IMAGE"
  podman pull -q "docker-daemon:$IMAGE" >"$WORK/pull.log" 2>&1 ||
    { tail -n 20 "$WORK/pull.log" >&2; die "podman pull docker-daemon:$IMAGE failed"; }
fi

# --- 3. verify ---------------------------------------------------------------
log "verify: podman build with --network host, a cache mount and a secret mount"
mount_selftest podman "$IMAGE" chef-podman-setup-selftest:latest

echo "podman ready: $(podman version --format '{{.Client.Version}}'), buildah" \
  "$(buildah version --json 2>/dev/null | sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' | head -n 1)," \
  "base image $IMAGE"
