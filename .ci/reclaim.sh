#!/usr/bin/env bash
# Give the disk back before CI's test run: what earlier runs on this machine left in the engines.
# Run as root from .ci/run, as soon as docker-setup.sh has the engine answering (podman's storage
# too where podman is installed); CI only: it removes every chef-test image but the base images,
# and trims the Docker engine's whole unused build cache.
#
# Why: the tests remove what their own session builds (tests/docker/dockerlib.py remove_images,
# trim_build_cache), but a run that is killed (a timeout, a full disk) cannot, and before they did,
# runs kept their BuildKit cache and podman's per-step images: 66 GB of build cache and 660 podman
# images filled this machine's disk, and CI failed with "No space left on device".
# Prints the free space before and after, and warns (never fails: the run itself will tell) when
# less than CHEF_CI_MIN_FREE_GB (default 10) is free: a whole run took 3 GB more at its peak than
# at its start, and left 2.7 GB (measured on 2026-12-07: 1.8 GB of build cache, pytest's tmp).
set -euo pipefail
LOG_NAME=reclaim
# shellcheck source=.ci/lib.sh
. "$(dirname "$0")/lib.sh"  # DOCKER, log, die
require_root

KEEP=("${CHEF_TEST_BASE_IMAGE:-chef-test-base:bookworm}"
      "${CHEF_TEST_ARM64_IMAGE:-chef-test-base:bookworm-arm64}")
free_gb() { df -P -BG "$1" | awk 'NR == 2 { sub("G", "", $4); print $4 }'; }
docker_root=$("$DOCKER" info --format '{{.DockerRootDir}}')
log "free before: $(free_gb "$docker_root") GB on $docker_root"

stale_images() {  # $1 = engine: its chef-test-* images by name, but the base images
  "$1" images --format '{{.Repository}}:{{.Tag}}' |
    sed -E 's#^(docker\.io/library/|localhost/)##' | grep -E '^chef-test-' |
    grep -vxF -f <(printf '%s\n' "${KEEP[@]}") || true
}

# Containers a killed test left (named chef-test-*), then images, then the build cache.
mapfile -t containers < <("$DOCKER" ps --all --quiet --filter name=chef-test-)
[ "${#containers[@]}" -eq 0 ] || "$DOCKER" rm -f "${containers[@]}" >/dev/null
mapfile -t images < <(stale_images "$DOCKER")
[ "${#images[@]}" -eq 0 ] || "$DOCKER" image rm "${images[@]}" >/dev/null || true
"$DOCKER" image prune --force >/dev/null
"$DOCKER" builder prune --all --force --keep-storage "${CHEF_TEST_BUILD_CACHE_KEEP:-4GB}" >/dev/null
log "docker: removed ${#containers[@]} containers and ${#images[@]} tagged images, pruned" \
  "dangling images and the build cache (kept ${CHEF_TEST_BUILD_CACHE_KEEP:-4GB})"

if command -v podman >/dev/null; then
  mapfile -t images < <(stale_images podman)
  [ "${#images[@]}" -eq 0 ] || podman image rm "${images[@]}" >/dev/null || true
  podman image prune --force >/dev/null
  log "podman: removed ${#images[@]} tagged images, pruned dangling images"
fi

free=$(free_gb "$docker_root")
log "free after: $free GB on $docker_root"
if [ "$free" -lt "${CHEF_CI_MIN_FREE_GB:-10}" ]; then
  log "WARNING: only $free GB free on $docker_root; a run takes about 3 GB more at its peak:" \
    "expect 'No space left on device' (free space, or set CHEF_CI_MIN_FREE_GB)"
fi
