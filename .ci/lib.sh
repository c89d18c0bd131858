# Shared by the .ci/*-setup.sh scripts (sourced, never run).
# The sourcing script sets LOG_NAME (its log prefix) first; WORK (a scratch directory) before it
# calls apt_install.

DOCKER=/usr/bin/docker  # Debian's client: /usr/local/bin/docker may be one without BuildKit's
export PATH="$PATH:/usr/sbin:/sbin" DEBIAN_FRONTEND=noninteractive

log() { printf '[%s] %s\n' "$LOG_NAME" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
redact() { sed -E 's#(://)[^/@]*@#\1***@#g'; }  # hide user:password in URLs
require_root() { [ "$(id -u)" -eq 0 ] || die "must run as root"; }

apt_install() {  # $@ = Debian packages; the log in $WORK/apt.log, its tail shown on failure
  log "packages: installing $*"
  apt-get update -q >"$WORK/apt.log" 2>&1 &&
    apt-get install -y -q --no-install-recommends "$@" >>"$WORK/apt.log" 2>&1 ||
    { tail -n 20 "$WORK/apt.log" | redact >&2; die "apt-get failed"; }
}

debian_mirror() {  # $1 = suite: the mirror apt is configured with (sources.list or deb822)
  local mirror="${CHEF_DEBIAN_MIRROR:-$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' |
    awk -v s="$1" '$2 == s { print $1; exit }')}"
  [ -n "$mirror" ] || die "no '$1' repository found in apt sources"
  printf '%s\n' "$mirror"
}

finish_rootfs() {  # $1 = a debootstrapped root: the host's CA bundle in, apt's caches out
  # Egress goes through a TLS-intercepting proxy whose CA is only in the host bundle (Debian's
  # pip, in venvs too, uses that bundle); the CA sources too, so update-ca-certificates keeps it.
  cp /etc/ssl/certs/ca-certificates.crt "$1/etc/ssl/certs/ca-certificates.crt"
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$1/usr/local/share/ca-certificates/"
  fi
  rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/cache/apt/*.bin "$1"/var/lib/apt/lists/*
}

mount_selftest() {  # $1 = engine (docker, podman), $2 = base image, $3 = tag, $4... = build options
  # One build with --network host, a cache mount and a secret mount (a dummy secret in $WORK),
  # then the image removed: the engine can build what Dockerfile.example needs.
  local engine=$1 image=$2 tag=$3
  shift 3
  mkdir -p "$WORK/selftest"
  printf '%s\n' "FROM $image" "RUN --mount=type=cache,target=/root/.cache true" \
    "RUN --mount=type=secret,id=tok cat /run/secrets/tok >/dev/null" >"$WORK/selftest/Dockerfile"
  (umask 077 && head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/tok")
  DOCKER_BUILDKIT=1 "$engine" build "$@" --network host --no-cache --secret id=tok,src="$WORK/tok" \
    -t "$tag" -f "$WORK/selftest/Dockerfile" "$WORK/selftest" >"$WORK/build.log" 2>&1 ||
    { tail -n 30 "$WORK/build.log" >&2; die "$engine self-test build failed"; }
  "$engine" image rm "$tag" >/dev/null
}
