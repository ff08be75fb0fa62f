# Plume: build, run and test. POSIX sh recipes; every target installs what it
# needs only when it is missing, so running any of them twice is cheap.
#
#   make setup     wasm32 target + wasm-bindgen CLI (matching Cargo.lock) + wasm-opt (npm's binaryen)
#   make site      browser bundle into target/site/pkg (plume.js, plume_bg.wasm, plume.css)
#   make build     site, then the release server (target/release/plume, assets embedded)
#   make run       build, then serve on http://127.0.0.1:6006 (data in ./plume-data)
#   make test      cargo tests (app, server), Python tests, browser tests, on SQLite and then
#                  PostgreSQL (fails if any fails)
#   make e2e-deps  Debian chromium + the Playwright npm packages
#   make pg-deps   Debian postgresql (the tests start a server of their own from its binaries)
#   make screenshots  browser tests that also refresh docs/screenshots/

.POSIX:
.PHONY: all setup site build run test e2e-deps pg-deps screenshots clean-site
# Prerequisites run in the order written, even under `make -j`.
.NOTPARALLEL:

WASM_BINDGEN_VERSION = 0.2.130
# binaryen's wasm-opt from npm: Debian 12's (108) breaks wasm-bindgen's externref
# table (the islands fail to start), and npm's build runs wherever node does.
BINARYEN_VERSION = 132.0.0
BINARYEN_DIR = target/binaryen
# Prints the first wasm-opt that is binaryen 116 or newer: the one on PATH, else
# the one `make setup` put under $(BINARYEN_DIR); nothing when neither is.
FIND_WASM_OPT = for opt in wasm-opt $(BINARYEN_DIR)/node_modules/.bin/wasm-opt; do \
	v=$$("$$opt" --version 2>/dev/null | sed 's/[^0-9]*\([0-9][0-9]*\).*/\1/'); \
	if [ -n "$$v" ] && [ "$$v" -ge 116 ] 2>/dev/null; then echo "$$opt"; break; fi; done
WASM_PROFILE = wasm-release
WASM_TARGET = wasm32-unknown-unknown
WASM_FILE = target/$(WASM_TARGET)/$(WASM_PROFILE)/frontend.wasm
SITE_PKG = target/site/pkg
CHROMIUM = /usr/bin/chromium

all: build

setup:
	@if ! rustup target list --installed | grep -qx '$(WASM_TARGET)'; then \
		echo "==> rustup target add $(WASM_TARGET)"; \
		rustup target add $(WASM_TARGET); \
	fi
	@if wasm-bindgen --version 2>/dev/null | grep -q ' $(WASM_BINDGEN_VERSION)$$'; then :; else \
		echo "==> cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) (takes several minutes)"; \
		cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi
	@if [ -n "$$($(FIND_WASM_OPT))" ]; then :; \
	elif command -v npm >/dev/null 2>&1; then \
		echo "==> npm install binaryen@$(BINARYEN_VERSION) (wasm-opt, into $(BINARYEN_DIR))"; \
		npm install --prefix $(BINARYEN_DIR) --no-audit --no-fund --no-save binaryen@$(BINARYEN_VERSION) >/dev/null; \
	else echo "==> no npm: the browser bundle will not be shrunk by wasm-opt"; fi

site:
	cargo build -p frontend --lib --target $(WASM_TARGET) --profile $(WASM_PROFILE)
	mkdir -p $(SITE_PKG)
	wasm-bindgen --target web --no-typescript --out-dir $(SITE_PKG) --out-name plume $(WASM_FILE)
	@opt="$$($(FIND_WASM_OPT))"; if [ -n "$$opt" ]; then \
		echo "==> $$opt -Oz"; \
		"$$opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
			-o $(SITE_PKG)/plume_bg.wasm.opt $(SITE_PKG)/plume_bg.wasm && \
		mv $(SITE_PKG)/plume_bg.wasm.opt $(SITE_PKG)/plume_bg.wasm; \
	else echo "==> no wasm-opt 116 or newer (make setup installs one): the bundle is not shrunk"; fi
	cp style/main.css $(SITE_PKG)/plume.css

# The release binary embeds target/site at compile time: build the site first.
build: site
	cargo build --release -p server

run: setup build
	./target/release/plume serve

e2e-deps:
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "==> apt-get install chromium"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	fi
	@cd end2end && \
	if [ -d node_modules/@playwright/test ] && [ -f node_modules/.package-lock.json ] && \
		[ ! package-lock.json -nt node_modules/.package-lock.json ]; then :; \
	elif [ -f package-lock.json ]; then echo "==> npm ci (end2end)"; npm ci --no-audit --no-fund; \
	else echo "==> npm install (end2end)"; npm install --no-audit --no-fund; fi

# The PostgreSQL tests run `initdb` and `pg_ctl` from Debian's package, which
# keeps them in /usr/lib/postgresql/<version>/bin (off PATH); the package's own
# cluster is not used (each test run starts one of its own, as `postgres`).
pg-deps:
	@if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; else \
		echo "==> apt-get install postgresql"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql; \
	fi

# `cargo test` on the default members only: `--workspace` would add `frontend`
# and build `app` with `hydrate` and `ssr` at once, which breaks the server.
# Every suite uses what the first `cargo test` built (target/debug/plume
# included, hence PLUME_BUILT=1): `cargo build -p server` or `cargo test -p
# server` resolve other features and would build every crate twice more.
test: setup site e2e-deps pg-deps
	cargo test
	@echo "==> end2end/python/run.sh"
	PLUME_BUILT=1 end2end/python/run.sh
	PLUME_BUILT=1 end2end/run.sh
	@echo "==> the same suites on PostgreSQL"
	PLUME_TEST_DATABASE=postgres cargo test --test integration
	PLUME_BUILT=1 end2end/with-postgres.sh end2end/python/run.sh
	PLUME_BUILT=1 end2end/with-postgres.sh end2end/run.sh
	@echo "==> target/ holds $$(du -sh target | cut -f1)"

# The README's pictures: the browser tests, saving their screenshots to docs/screenshots/.
# Debian's chromium draws no 👍/👎 without a colour emoji font.
screenshots: site e2e-deps
	@if ! fc-list 2>/dev/null | grep -q 'Noto Color Emoji'; then \
		echo "==> apt-get install fonts-noto-color-emoji"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y fonts-noto-color-emoji; \
	fi
	PLUME_SCREENSHOTS=1 end2end/run.sh

clean-site:
	rm -rf target/site
