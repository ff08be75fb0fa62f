#!/bin/sh
# Browser tests: builds the debug server and the site, then runs Playwright.
# Extra arguments go to `playwright test` (e.g. `end2end/run.sh -g hydrates`).
set -eu
cd "$(dirname "$0")/.."

# The site first: the server's rust-embed resolves target/site when it is compiled
# (debug builds then read the files from disk, release builds embed them).
make --no-print-directory setup site
# `make test` sets PLUME_BUILT=1: its `cargo test` built target/debug/plume
# already, and `cargo build` would build every crate again (it leaves out the
# dev-dependencies, so their features, and every crate's hash, differ), which
# costs minutes and gigabytes of target/.
[ -n "${PLUME_BUILT:-}" ] || cargo build -p server
if [ ! -d end2end/node_modules/@playwright/test ] || [ ! -x /usr/bin/chromium ]; then
	make --no-print-directory e2e-deps
fi

cd end2end
exec npx playwright test "$@"
