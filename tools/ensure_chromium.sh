#!/usr/bin/env bash
# Make Debian's chromium available for the browser tests (Playwright cannot download its own
# browser here). Installs it with apt-get when it is missing and we are root; otherwise says so
# loudly and lets the browser tests decide (they skip, or fail under CI=true).
set -u
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "chromium is missing: installing Debian's chromium for the browser tests"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null \
        && { echo "chromium installed: $("$CHROMIUM" --version 2>/dev/null)"; exit 0; }
    echo "WARNING: apt-get could not install chromium; browser tests will not run" >&2
else
    echo "WARNING: $CHROMIUM not found and cannot apt-get install it (not root);" \
         "browser tests will skip (install it with: sudo apt-get install chromium)" >&2
fi
exit 0
