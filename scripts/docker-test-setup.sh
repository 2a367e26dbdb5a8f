#!/usr/bin/env bash
# Prepares a Docker engine for the Docker tests (test/docker/*) and for local image builds:
#   1. installs docker.io + docker-compose (Debian/Ubuntu, as root) when no docker CLI is present,
#   2. starts dockerd (vfs storage, logging to $DOCKERD_LOG) when no engine answers,
#   3. builds the local base image $MCP_PROXY_BASE_IMAGE (default mcp-proxy-local/node-base:latest) when absent:
#      a rootfs holding this machine's node binary and its shared libraries, npm/npx, a POSIX shell with a few
#      coreutils, the CA bundle, and a `node` user (uid 1000) like the official node images.
#      It is loaded with `docker import`, so no registry is needed.
# Exits non-zero with a reason on stderr when no engine can be had; callers treat that as "Docker tests skipped".
set -euo pipefail

BASE_IMAGE="${MCP_PROXY_BASE_IMAGE:-mcp-proxy-local/node-base:latest}"
DOCKERD_LOG="${DOCKERD_LOG:-/tmp/mcp-proxy-dockerd.log}"
say() { echo "docker-test-setup: $*" >&2; }

# Test workers may run this at the same time: one at a time.
if command -v flock >/dev/null 2>&1 && [ -z "${MCP_PROXY_SETUP_LOCKED:-}" ]; then
  export MCP_PROXY_SETUP_LOCKED=1
  # -o: the lock fd is not inherited by what the script starts (dockerd would hold it forever).
  exec flock -o "${TMPDIR:-/tmp}/mcp-proxy-docker-setup.lock" bash "$0" "$@"
fi

engine_up() { docker info >/dev/null 2>&1; }

if ! command -v docker >/dev/null 2>&1 || ! command -v dockerd >/dev/null 2>&1 || ! command -v docker-compose >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing docker.io and docker-compose with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq docker.io docker-compose >/dev/null
  elif ! command -v docker >/dev/null 2>&1; then
    say "no docker CLI and cannot install one (need root and apt-get)"
    exit 1
  fi
fi

if ! engine_up; then
  if [ -n "${DOCKER_HOST:-}" ]; then
    say "DOCKER_HOST=$DOCKER_HOST does not answer; not starting a local engine"
    exit 1
  fi
  if [ "$(id -u)" != 0 ] || ! command -v dockerd >/dev/null 2>&1; then
    say "no engine answers on /var/run/docker.sock and dockerd cannot be started here (need root and dockerd)"
    exit 1
  fi
  # A dockerd that is still starting (or one left by an earlier run) owns the pid file: wait for it
  # instead of starting a second one; a pid file whose process is gone is stale and removed.
  if [ -f /var/run/docker.pid ]; then
    oldpid="$(cat /var/run/docker.pid 2>/dev/null || true)"
    if [ -n "$oldpid" ] && kill -0 "$oldpid" 2>/dev/null; then
      say "dockerd (pid $oldpid) is already running; waiting for it to answer"
    else
      rm -f /var/run/docker.pid
    fi
  fi
  if ! pgrep -x dockerd >/dev/null 2>&1; then
    say "starting dockerd --storage-driver=vfs (log: $DOCKERD_LOG)"
    nohup dockerd --storage-driver=vfs >"$DOCKERD_LOG" 2>&1 &
  fi
  for _ in $(seq 1 120); do
    engine_up && break
    sleep 1
  done
  if ! engine_up; then
    say "dockerd did not come up within 120 s; last log lines:"
    tail -n 20 "$DOCKERD_LOG" >&2 || true
    exit 1
  fi
fi
say "engine up: $(docker version --format '{{.Server.Version}}' 2>/dev/null || echo unknown)"

# A TLS-intercepting egress (or corporate proxy) named by NODE_EXTRA_CA_CERTS must be trusted by `npm ci` in
# the image build: hand it in the documented way, as a PEM file in docker/ca-certificates/ (ignored by git).
ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r "$NODE_EXTRA_CA_CERTS" ] && [ -d "$ROOT_DIR/docker/ca-certificates" ] &&
  ! cmp -s "$NODE_EXTRA_CA_CERTS" "$ROOT_DIR/docker/ca-certificates/host-extra-ca.crt"; then
  cp "$NODE_EXTRA_CA_CERTS" "$ROOT_DIR/docker/ca-certificates/host-extra-ca.crt"
  say "copied NODE_EXTRA_CA_CERTS ($NODE_EXTRA_CA_CERTS) to docker/ca-certificates/host-extra-ca.crt for image builds"
fi

if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  say "base image $BASE_IMAGE present"
  exit 0
fi

NODE_BIN="$(command -v node)"
NPM_DIR="$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)"
ROOTFS="$(mktemp -d "${TMPDIR:-/tmp}/mcp-proxy-base.XXXXXX")"
trap 'rm -rf "$ROOTFS"' EXIT
chmod 755 "$ROOTFS" # mktemp makes it 0700: it becomes the image's /
say "building $BASE_IMAGE from $NODE_BIN ($("$NODE_BIN" --version)) and npm in $NPM_DIR"

copy_with_libs() { # copies an executable and every shared library it loads, keeping paths
  local bin="$1" dest="$2"
  mkdir -p "$ROOTFS$(dirname "$dest")"
  cp -L "$bin" "$ROOTFS$dest"
  ldd "$bin" 2>/dev/null | grep -oE '/[^ ]+' | while read -r lib; do
    [ -e "$lib" ] || continue
    mkdir -p "$ROOTFS$(dirname "$lib")"
    [ -e "$ROOTFS$lib" ] || cp -L "$lib" "$ROOTFS$lib"
  done
}

copy_with_libs "$NODE_BIN" /usr/local/bin/node
copy_with_libs "$(readlink -f /bin/sh)" /bin/sh
for tool in cat cp chmod chown env id ln ls mkdir mv rm sleep touch test true false uname head tail grep sed; do
  path="$(type -P "$tool" || true)"
  [ -n "$path" ] && copy_with_libs "$(readlink -f "$path")" "/bin/$tool"
done
mkdir -p "$ROOTFS/usr/local/lib/node_modules" "$ROOTFS/usr/local/bin" "$ROOTFS/etc/ssl/certs" "$ROOTFS/tmp" \
  "$ROOTFS/home/node" "$ROOTFS/root" "$ROOTFS/usr/bin" "$ROOTFS/var/tmp"
cp -a "$NPM_DIR" "$ROOTFS/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ROOTFS/usr/local/bin/npx"
ln -s /bin/env "$ROOTFS/usr/bin/env"
cp -L /etc/ssl/certs/ca-certificates.crt "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$ROOTFS/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n' >"$ROOTFS/etc/group"
printf 'hosts: files dns\n' >"$ROOTFS/etc/nsswitch.conf"
chmod 1777 "$ROOTFS/tmp" "$ROOTFS/var/tmp"
chown 1000:1000 "$ROOTFS/home/node"

tar -C "$ROOTFS" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_VERSION='"$("$NODE_BIN" --version | tr -d v)" \
  --change 'CMD ["node"]' \
  - "$BASE_IMAGE" >/dev/null
say "base image $BASE_IMAGE built ($(docker image inspect "$BASE_IMAGE" --format '{{.Size}}') bytes)"
