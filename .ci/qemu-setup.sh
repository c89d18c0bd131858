#!/usr/bin/env bash
# Provision arm64 emulation and a local arm64 base image for chef's multi-arch Docker test
# (tests/docker/test_docker_multiarch.py) and bench (bench/cross_build.py --docker).
# Run as root after .ci/docker-setup.sh (it needs the engine). Idempotent: a second run only
# verifies (a few seconds).
#
# What it does:
# 1. installs Debian's qemu-user-static (statically linked emulators; no binfmt-support needed);
# 2. mounts binfmt_misc and registers the aarch64 handler from the package's own
#    /usr/lib/binfmt.d/qemu-aarch64.conf. Its flags include F ("fix binary"): the kernel opens the
#    emulator at registration time, so arm64 programs run inside containers too, where
#    /usr/bin/qemu-aarch64-static does not exist. No systemd runs here, so nobody else registers it.
#    The registration is kernel state: it lasts until reboot, and a second run only checks it;
# 3. builds the arm64 base image ($CHEF_TEST_ARM64_IMAGE, default chef-test-base:bookworm-arm64)
#    like docker-setup.sh builds the amd64 one: debootstrap of the same suite with the same
#    packages (so the same Python, 3.11), the host's CA bundle copied in. debootstrap runs in two
#    stages: --foreign unpacks the arm64 packages on the host, --second-stage configures them in a
#    chroot where every arm64 program runs under QEMU (a few minutes: that is the slow part);
# 4. verifies: `docker run --platform linux/arm64` of the image prints aarch64.
set -euo pipefail

IMAGE="${CHEF_TEST_ARM64_IMAGE:-chef-test-base:bookworm-arm64}"
SUITE=bookworm
BINFMT=/proc/sys/fs/binfmt_misc
LOG_NAME=qemu-setup
# shellcheck source=.ci/lib.sh
. "$(dirname "$0")/lib.sh"  # DOCKER, log, die, redact, apt_install, debian_mirror, finish_rootfs
export DOCKER_HOST=unix:///var/run/docker.sock

require_root
[ "$(uname -m)" = x86_64 ] || die "written for an amd64 host (this is $(uname -m))"
WORK=$(mktemp -d /var/tmp/chef-qemu-setup.XXXXXX)
cleanup() {
  # A failed second stage can leave its /proc and /sys mounted in the chroot: never rm through them.
  local m
  for m in "$WORK"/rootfs/proc "$WORK"/rootfs/sys; do
    mountpoint -q "$m" 2>/dev/null && umount -l "$m" || true
  done
  rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT
START=$SECONDS

# --- 1. packages -------------------------------------------------------------
if [ -x /usr/bin/qemu-aarch64-static ] && [ -f /usr/lib/binfmt.d/qemu-aarch64.conf ] &&
   command -v debootstrap >/dev/null; then
  log "packages: qemu-user-static and debootstrap already installed"
else
  apt_install qemu-user-static debootstrap
fi

# --- 2. binfmt_misc ----------------------------------------------------------
if [ ! -e "$BINFMT/register" ]; then
  log "binfmt: mounting binfmt_misc on $BINFMT"
  mount -t binfmt_misc binfmt_misc "$BINFMT" || die "cannot mount binfmt_misc"
fi
[ "$(cat "$BINFMT/status")" = enabled ] || echo 1 >"$BINFMT/status"
if [ -e "$BINFMT/qemu-aarch64" ]; then
  log "binfmt: qemu-aarch64 already registered"
else
  log "binfmt: registering qemu-aarch64 from /usr/lib/binfmt.d/qemu-aarch64.conf"
  grep -v '^#' /usr/lib/binfmt.d/qemu-aarch64.conf >"$BINFMT/register" ||
    die "could not register the aarch64 handler"
fi
grep -qx enabled "$BINFMT/qemu-aarch64" || die "qemu-aarch64 handler is disabled"
flags=$(sed -n 's/^flags: //p' "$BINFMT/qemu-aarch64")
case "$flags" in
  *F*) ;;
  *) die "qemu-aarch64 is registered without the F flag ($flags): arm64 programs would not run in" \
         "containers. Remove it (echo -1 >$BINFMT/qemu-aarch64) and run this again" ;;
esac
log "binfmt: qemu-aarch64 enabled, flags $flags"

# --- 3. arm64 base image -----------------------------------------------------
"$DOCKER" info >/dev/null 2>&1 || die "no Docker engine: run .ci/docker-setup.sh first"
if "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1; then
  log "image: $IMAGE already present"
else
  MIRROR=$(debian_mirror "$SUITE")
  ROOTFS="$WORK/rootfs"
  t0=$SECONDS
  log "image: debootstrap --arch=arm64 --foreign $SUITE from $(redact <<<"$MIRROR")"
  debootstrap --arch=arm64 --foreign --variant=minbase \
    --include=python3,python3-venv,python3-pip,ca-certificates \
    "$SUITE" "$ROOTFS" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
    { tail -n 30 "$WORK/debootstrap.log" | redact >&2; die "debootstrap (first stage) failed"; }
  log "image: first stage done in $((SECONDS - t0)) s; second stage under QEMU (several minutes)"
  t1=$SECONDS
  chroot "$ROOTFS" /debootstrap/debootstrap --second-stage >"$WORK/second-stage.log" 2>&1 ||
    { tail -n 30 "$WORK/second-stage.log" >&2
      tail -n 30 "$ROOTFS/debootstrap/debootstrap.log" 2>/dev/null >&2 || true
      die "debootstrap (second stage) failed"; }
  log "image: second stage done in $((SECONDS - t1)) s"
  for m in "$ROOTFS"/proc "$ROOTFS"/sys; do
    mountpoint -q "$m" && umount -l "$m" || true
  done
  finish_rootfs "$ROOTFS"
  # Not `docker import --platform`: the 20.10 engine ignores it and labels the image amd64.
  # A BuildKit build FROM scratch with --platform records arm64 (and pulls nothing).
  log "image: building $IMAGE (platform linux/arm64) from the root filesystem"
  mkdir -p "$WORK/ctx"
  tar -C "$ROOTFS" -cf "$WORK/ctx/rootfs.tar" .
  rm -rf --one-file-system "$ROOTFS"
  printf '%s\n' 'FROM scratch' 'ADD rootfs.tar /' \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' >"$WORK/ctx/Dockerfile"
  DOCKER_BUILDKIT=1 "$DOCKER" build --platform linux/arm64 --progress plain -t "$IMAGE" \
    "$WORK/ctx" >"$WORK/build.log" 2>&1 || { tail -n 30 "$WORK/build.log" >&2; die "image build failed"; }
  rm -f "$WORK/ctx/rootfs.tar"
  log "image: built in $((SECONDS - t0)) s"
fi

# --- 4. verify ---------------------------------------------------------------
arch=$("$DOCKER" image inspect --format '{{.Architecture}}' "$IMAGE")
[ "$arch" = arm64 ] || die "$IMAGE is $arch, not arm64"
machine=$("$DOCKER" run --rm --platform linux/arm64 "$IMAGE" \
  python3 -c 'import platform; print(platform.machine())' 2>"$WORK/run.log") ||
  { tail -n 20 "$WORK/run.log" >&2; die "cannot run $IMAGE"; }
[ "$machine" = aarch64 ] || die "$IMAGE runs as '$machine', not aarch64"
version=$("$DOCKER" run --rm --platform linux/arm64 "$IMAGE" python3 -V)

echo "qemu ready: aarch64 handler (flags $flags), base image $IMAGE ($version), $((SECONDS - START)) s"
