#!/usr/bin/env bash
# Readies a running Docker engine for the Docker tests (run by the vitest global setup when
# MCP_PROXY_DOCKER_TESTS=1) and for local image builds. It installs and starts nothing: .ci/run does that.
#   1. checks that an engine answers,
#   2. builds the local base image $MCP_PROXY_BASE_IMAGE (default mcp-proxy-local/node-base:latest) when absent:
#      a rootfs holding this machine's node binary and its shared libraries, npm/npx, a POSIX shell with a few
#      coreutils, the CA bundle, and a `node` user (uid 1000) like the official node images.
#      It is loaded with `docker import`, so no registry is needed.
# Exits non-zero with a reason on stderr when no engine answers.
set -euo pipefail

BASE_IMAGE="${MCP_PROXY_BASE_IMAGE:-mcp-proxy-local/node-base:latest}"
say() { echo "docker-test-setup: $*" >&2; }

# Two test runs may start at once: one base-image build at a time.
if command -v flock >/dev/null 2>&1 && [ -z "${MCP_PROXY_SETUP_LOCKED:-}" ]; then
  export MCP_PROXY_SETUP_LOCKED=1
  exec flock -o "${TMPDIR:-/tmp}/mcp-proxy-docker-setup.lock" bash "$0" "$@"
fi

engine_up() { docker info >/dev/null 2>&1; }

if ! command -v docker >/dev/null 2>&1; then
  say "no docker CLI on PATH (.ci/run installs one)"
  exit 1
fi
if ! engine_up; then
  say "no Docker engine answers${DOCKER_HOST:+ at DOCKER_HOST=$DOCKER_HOST} (.ci/run starts one; or start yours)"
  exit 1
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
