#!/usr/bin/env bash
# Installs the pgvector extension into a Debian PostgreSQL (default: 15) on this machine.
#
# Debian bookworm ships no pgvector package for PostgreSQL 15, so this builds Debian's own
# `pgvector` source package (0.8.x, from the trixie suite, Debian's patches applied) against
# postgresql-server-dev-15 with PGXS and installs it with `make install`.
#
# The trixie source index is fetched into a private, temporary apt state directory: the
# machine's sources.list and package lists are left untouched, and no trixie binary package
# is ever installed. apt verifies the source tarballs against Debian's signed index.
#
# Idempotent: does nothing when `vector` is already available to that PostgreSQL.
# Needs root (apt-get, make install). No server restart is needed afterwards.
#
#   usage: platform/install-pgvector.sh            (env: PG_MAJOR=15, PGVECTOR_SUITE=trixie)
set -euo pipefail

PG_MAJOR="${PG_MAJOR:-15}"
PGVECTOR_SUITE="${PGVECTOR_SUITE:-trixie}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
PG_CONFIG="/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config"

log() { echo "[install-pgvector] $*"; }
die() { echo "[install-pgvector] ERROR: $*" >&2; exit 1; }

# pg_available_extensions is exactly the set of <sharedir>/extension/*.control files, so this
# check needs no running server. pg_config only exists once the -dev package is in; fall back
# to the Debian layout.
sharedir="/usr/share/postgresql/${PG_MAJOR}"
pkglibdir="/usr/lib/postgresql/${PG_MAJOR}/lib"
if [ -x "$PG_CONFIG" ]; then
  sharedir="$("$PG_CONFIG" --sharedir)"
  pkglibdir="$("$PG_CONFIG" --pkglibdir)"
fi
if [ -f "$sharedir/extension/vector.control" ] && [ -f "$pkglibdir/vector.so" ]; then
  log "pgvector already installed for PostgreSQL ${PG_MAJOR} ($(sed -n "s/^default_version = '\(.*\)'/\1/p" "$sharedir/extension/vector.control")); nothing to do."
  exit 0
fi

[ "$(id -u)" = "0" ] || die "must run as root (apt-get install, make install)."
command -v apt-get >/dev/null || die "apt-get not found: this script is for Debian."
[ -d "/usr/lib/postgresql/${PG_MAJOR}/bin" ] || die "PostgreSQL ${PG_MAJOR} server is not installed."

export DEBIAN_FRONTEND=noninteractive
APT_LOCK=(-o DPkg::Lock::Timeout=600)

# 1. Build dependencies from the machine's own (bookworm) archive.
missing=()
for pkg in dpkg-dev build-essential "postgresql-server-dev-${PG_MAJOR}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing build dependencies: ${missing[*]}"
  apt-get "${APT_LOCK[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
    log "install failed; refreshing package lists and retrying"
    apt-get "${APT_LOCK[@]}" update -qq
    apt-get "${APT_LOCK[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  }
fi
[ -x "$PG_CONFIG" ] || die "$PG_CONFIG missing after installing postgresql-server-dev-${PG_MAJOR}."

# 2. Fetch Debian's pgvector source package from $PGVECTOR_SUITE via a private apt state.
work="$(mktemp -d /tmp/install-pgvector.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/src"
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${DEBIAN_MIRROR} ${PGVECTOR_SUITE} main" \
  > "$work/sources.list"
APT_PRIVATE=(
  -o "Dir::Etc::sourcelist=$work/sources.list" -o "Dir::Etc::sourceparts=-"
  -o "Dir::State::lists=$work/lists" -o "Dir::Cache::archives=$work/archives"
  -o "APT::Sandbox::User=root"
)
log "fetching the pgvector source package from Debian ${PGVECTOR_SUITE}"
apt-get "${APT_PRIVATE[@]}" update -qq
version="$(apt-cache "${APT_PRIVATE[@]}" showsrc pgvector | sed -n 's/^Version: //p' | head -n1)"
[ -n "$version" ] || die "no pgvector source package in ${PGVECTOR_SUITE}."
(cd "$work/src" && apt-get "${APT_PRIVATE[@]}" source -qq "pgvector=${version}" >/dev/null 2>&1) \
  || die "apt-get source pgvector=${version} failed."
srcdir="$(find "$work/src" -mindepth 1 -maxdepth 1 -type d -name 'pgvector-*' | head -n1)"
[ -n "$srcdir" ] || die "pgvector source did not unpack."

# 3. Build and install with PGXS (Debian's no-native patch keeps the build CPU-portable).
log "building pgvector ${version} against PostgreSQL ${PG_MAJOR} ($("$PG_CONFIG" --version))"
make -C "$srcdir" -s -j"$(nproc)" USE_PGXS=1 PG_CONFIG="$PG_CONFIG" >"$work/build.log" 2>&1 \
  || { tail -n 40 "$work/build.log" >&2; die "build failed."; }
make -C "$srcdir" -s USE_PGXS=1 PG_CONFIG="$PG_CONFIG" install >>"$work/build.log" 2>&1 \
  || { tail -n 40 "$work/build.log" >&2; die "make install failed."; }

[ -f "$sharedir/extension/vector.control" ] || die "vector.control not installed into $sharedir/extension."
log "installed pgvector ${version} for PostgreSQL ${PG_MAJOR} (CREATE EXTENSION vector now works)."
