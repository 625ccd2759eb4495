#!/usr/bin/env bash
# Install the real GitHub Copilot CLI (npm package @github/copilot, exact version) into a cache
# directory outside the repository, for interop tests against the real CLI.
#
# Usage: scripts/install-cli.sh
#   COPILOT_SANSIO_CLI_CACHE  install directory
#                             (default: ${XDG_CACHE_HOME:-$HOME/.cache}/copilot-sansio/cli-<version>)
#
# Reuses an existing install. The last line of stdout is the absolute path of the runnable,
# self-contained platform binary (no Node.js needed to run it). Uses the machine's default npm
# configuration (registry, proxy). Exits non-zero with a message on stderr on failure.
#
# The version check unpacks the CLI's runtime (~235 MB) into "$CACHE/copilot-cache"; pass that
# directory as COPILOT_CACHE_HOME to every CLI process started by tests so the next start is warm
# (it is safe to share between runs; everything else must be a fresh temp dir per process).
set -euo pipefail

VERSION="1.0.102"
PKG="@github/copilot"
CACHE="${COPILOT_SANSIO_CLI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/copilot-sansio/cli-$VERSION}"

die() { echo "install-cli.sh: $*" >&2; exit 1; }

# Prints the platform binary's path, or nothing.
find_binary() {
    local candidate
    for candidate in "$CACHE"/node_modules/@github/copilot-*/copilot; do
        if [ -f "$candidate" ]; then
            echo "$candidate"
            return 0
        fi
    done
    return 0
}

# Prints the version recorded in the installed top-level package, or nothing.
installed_version() {
    local manifest="$CACHE/node_modules/$PKG/package.json"
    [ -f "$manifest" ] || return 0
    sed -n 's/^[[:space:]]*"version"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$manifest" | head -n 1
}

mkdir -p "$CACHE" || die "cannot create cache directory $CACHE"
CACHE="$(cd "$CACHE" && pwd -P)"

BIN="$(find_binary)"
if [ -n "$BIN" ] && [ "$(installed_version)" = "$VERSION" ]; then
    echo "reusing $PKG@$VERSION in $CACHE" >&2
else
    command -v npm >/dev/null 2>&1 || die "npm not found in PATH (install Node.js/npm first)"
    echo "installing $PKG@$VERSION into $CACHE" >&2
    # A private package.json keeps npm from walking up into an unrelated project.
    [ -f "$CACHE/package.json" ] || echo '{"name":"copilot-sansio-cli-cache","private":true}' > "$CACHE/package.json"
    if ! npm install --prefix "$CACHE" --save-exact --no-audit --no-fund --loglevel=error \
        "$PKG@$VERSION" >&2; then
        die "npm install $PKG@$VERSION failed (is the npm registry reachable?)"
    fi
    BIN="$(find_binary)"
    [ -n "$BIN" ] || die "installed $PKG@$VERSION but found no platform binary at $CACHE/node_modules/@github/copilot-*/copilot (unsupported platform?)"
    [ "$(installed_version)" = "$VERSION" ] || die "installed version is '$(installed_version)', expected $VERSION"
fi

[ -x "$BIN" ] || chmod +x "$BIN" 2>/dev/null || die "$BIN is not executable"

# Quick check that the binary runs here: hermetic, throwaway HOME, nothing inherited.
CHECK_HOME="$(mktemp -d)"
trap 'rm -rf "$CHECK_HOME"' EXIT
if ! OUT="$(cd "$CHECK_HOME" && env -i PATH=/usr/bin:/bin HOME="$CHECK_HOME" \
        XDG_CONFIG_HOME="$CHECK_HOME/config" XDG_STATE_HOME="$CHECK_HOME/state" \
        XDG_CACHE_HOME="$CHECK_HOME/cache" GH_CONFIG_DIR="$CHECK_HOME/gh" \
        COPILOT_HOME="$CHECK_HOME/copilot-home" COPILOT_CACHE_HOME="$CACHE/copilot-cache" \
        timeout 120 "$BIN" --version 2>&1)"; then
    die "$BIN --version failed: $OUT"
fi
case "$OUT" in
    *"$VERSION"*) echo "$BIN --version: $(echo "$OUT" | head -n 1)" >&2 ;;
    *) die "$BIN --version printed '$OUT', expected version $VERSION" ;;
esac

echo "$BIN"
