# Shared by .ci/docker-setup.sh, .ci/qemu-setup.sh and .ci/ci-cache-setup.sh (sourced, never run).
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
