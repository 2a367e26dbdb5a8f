#!/bin/sh
# Installs the mcp-proxy standalone binary (no Node needed) for this OS and CPU.
#
#   curl -fsSL https://github.com/mcp-proxy-server/mcp-proxy-server/releases/latest/download/install.sh | sh
#
# Environment:
#   MCP_PROXY_RELEASE_URL   base URL holding mcp-proxy-<platform>[.exe] and SHA256SUMS
#                           (default: the latest GitHub release; set it for mirrors, pinned versions, tests)
#   MCP_PROXY_INSTALL_DIR   where to put `mcp-proxy` (default: ~/.local/bin)
#
# The download is verified against SHA256SUMS before anything is installed; a mismatch installs nothing.
set -eu

DEFAULT_RELEASE_URL="https://github.com/mcp-proxy-server/mcp-proxy-server/releases/latest/download"
RELEASE_URL="${MCP_PROXY_RELEASE_URL:-$DEFAULT_RELEASE_URL}"
RELEASE_URL="${RELEASE_URL%/}"
INSTALL_DIR="${MCP_PROXY_INSTALL_DIR:-${HOME:?HOME is not set; set MCP_PROXY_INSTALL_DIR}/.local/bin}"

say() { printf '%s\n' "$*"; }
fail() {
  printf 'mcp-proxy install: error: %s\n' "$1" >&2
  [ -n "${2:-}" ] && printf 'mcp-proxy install: hint: %s\n' "$2" >&2
  exit 1
}

case "${1:-}" in
  -h | --help)
    sed -n '2,12p' "$0" 2>/dev/null | sed 's/^# \{0,1\}//'
    exit 0
    ;;
esac

# --- platform --------------------------------------------------------------------------------------
os=$(uname -s)
case "$os" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  MINGW* | MSYS* | CYGWIN* | Windows_NT)
    fail "this is Windows ($os)" "use the PowerShell installer: irm $RELEASE_URL/install.ps1 | iex"
    ;;
  *) fail "unsupported operating system: $os" "binaries exist for Linux, macOS and Windows; elsewhere use: npx -y mcp-proxy-server" ;;
esac

arch=$(uname -m)
case "$arch" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) fail "unsupported CPU architecture: $arch" "binaries exist for x64 and arm64; elsewhere use: npx -y mcp-proxy-server" ;;
esac
# A shell running under Rosetta 2 reports x86_64 on Apple silicon: prefer the native binary.
if [ "$os" = darwin ] && [ "$arch" = x64 ] && [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || echo 0)" = 1 ]; then
  arch=arm64
fi
if [ "$os" = linux ] && [ -e /lib/ld-musl-x86_64.so.1 -o -e /lib/ld-musl-aarch64.so.1 ] && ! [ -e /lib64/ld-linux-x86-64.so.2 -o -e /lib/ld-linux-aarch64.so.1 ]; then
  fail "this Linux uses musl (e.g. Alpine); the binaries need glibc" "use the Docker image or: npx -y mcp-proxy-server"
fi

platform="$os-$arch"
asset="mcp-proxy-$platform"

# --- tools -----------------------------------------------------------------------------------------
if command -v curl >/dev/null 2>&1; then
  fetch() { curl -fsSL --retry 2 -o "$2" "$1"; }
elif command -v wget >/dev/null 2>&1; then
  fetch() { wget -q -O "$2" "$1"; }
else
  fail "neither curl nor wget is installed" "install one of them and run this again"
fi

if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum "$1" | awk '{print $1}'; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256 "$1" | awk '{print $1}'; }
elif command -v openssl >/dev/null 2>&1; then
  sha256() { openssl dgst -sha256 -r "$1" | awk '{print $1}'; }
else
  fail "no SHA-256 tool found (sha256sum, shasum or openssl)" "install coreutils (or perl's shasum) so the download can be verified"
fi

# --- download and verify ---------------------------------------------------------------------------
tmp=$(mktemp -d 2>/dev/null || mktemp -d -t mcp-proxy)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

say "mcp-proxy install: downloading $asset from $RELEASE_URL"
fetch "$RELEASE_URL/SHA256SUMS" "$tmp/SHA256SUMS" ||
  fail "could not download $RELEASE_URL/SHA256SUMS" "check the URL (MCP_PROXY_RELEASE_URL) and your network"
fetch "$RELEASE_URL/$asset" "$tmp/$asset" ||
  fail "could not download $RELEASE_URL/$asset" "no binary for $platform at that URL? check MCP_PROXY_RELEASE_URL"

expected=$(awk -v f="$asset" '$2 == f || $2 == "*" f { print tolower($1); exit }' "$tmp/SHA256SUMS")
[ -n "$expected" ] || fail "$asset is not listed in SHA256SUMS; refusing to install an unverified file"
actual=$(sha256 "$tmp/$asset")
if [ "$actual" != "$expected" ]; then
  fail "checksum mismatch for $asset: expected $expected, got $actual; nothing was installed" \
    "the download is corrupted or was tampered with; try again, or check the mirror (MCP_PROXY_RELEASE_URL)"
fi
say "mcp-proxy install: SHA-256 verified ($actual)"

# --- install ---------------------------------------------------------------------------------------
mkdir -p "$INSTALL_DIR" || fail "cannot create $INSTALL_DIR" "set MCP_PROXY_INSTALL_DIR to a directory you can write"
dest="$INSTALL_DIR/mcp-proxy"
# Copy next to the destination, then rename: an existing mcp-proxy is replaced in one step.
cp "$tmp/$asset" "$INSTALL_DIR/.mcp-proxy.$$" || fail "cannot write to $INSTALL_DIR" "set MCP_PROXY_INSTALL_DIR to a directory you can write"
chmod 755 "$INSTALL_DIR/.mcp-proxy.$$"
mv -f "$INSTALL_DIR/.mcp-proxy.$$" "$dest"

if [ "$os" = darwin ]; then
  # Injecting the app into node invalidated its signature; Apple silicon refuses unsigned code. An ad-hoc
  # signature is made locally and needs no Apple account.
  if command -v codesign >/dev/null 2>&1; then
    codesign --force --sign - "$dest" >/dev/null 2>&1 || say "mcp-proxy install: warning: ad-hoc signing failed; run: codesign --force --sign - $dest"
  else
    say "mcp-proxy install: warning: codesign not found; on Apple silicon run: codesign --force --sign - $dest"
  fi
fi

say "mcp-proxy install: installed $dest"
if out=$("$dest" version 2>/dev/null); then
  say "mcp-proxy install: $(printf '%s\n' "$out" | head -n 1)"
else
  say "mcp-proxy install: warning: $dest did not run (\`$dest version\` failed)"
fi

case ":${PATH:-}:" in
  *":$INSTALL_DIR:"*) say "mcp-proxy install: run \`mcp-proxy --help\` to start" ;;
  *)
    say ""
    say "$INSTALL_DIR is not on your PATH. Add it:"
    say "  bash/zsh/sh: echo 'export PATH=\"$INSTALL_DIR:\$PATH\"' >> ~/.profile   (or ~/.bashrc, ~/.zshrc)"
    say "  fish:        fish_add_path $INSTALL_DIR"
    say "then open a new shell, or run it directly: $dest --help"
    ;;
esac
