#!/usr/bin/env bash
# Builds every fuzz target and runs each for SECONDS_PER_TARGET seconds
# (default 10), after replaying the reproducers in fuzz/regressions/.
# Prints executions and crashes per target; exits non-zero on any crash.
#
#   fuzz/run.sh [SECONDS_PER_TARGET]      e.g. fuzz/run.sh 75
#
# Environment: FUZZ_TARGETS="url dates" to run only some targets;
# FUZZ_SANITIZER (default none: the core is safe Rust, and without
# AddressSanitizer a target runs about five times faster) is passed to
# `cargo fuzz build -s`; FUZZ_SANITIZER=address for the slower, stricter run.
# Only the stable toolchain is needed: RUSTC_BOOTSTRAP=1 unlocks the
# -Z flags cargo-fuzz uses. cargo-fuzz is installed from crates.io if missing.
#
# Corpora: fuzz/corpus/<target>/ is the seed corpus kept in the repository
# and is only read; what the fuzzer finds goes to fuzz/target/corpus/<target>/
# (ignored by git, kept between runs). Crashes go to fuzz/artifacts/<target>/.
set -uo pipefail

SECONDS_PER_TARGET="${1:-${SECONDS_PER_TARGET:-10}}"
if ! [[ "$SECONDS_PER_TARGET" =~ ^[0-9]+$ ]] || [ "$SECONDS_PER_TARGET" -lt 1 ]; then
    echo "usage: $0 [SECONDS_PER_TARGET]  (a whole number of seconds, at least 1)" >&2
    exit 2
fi

FUZZ_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$FUZZ_DIR")"
cd "$ROOT" || exit 2

export RUSTC_BOOTSTRAP=1
CARGO_FUZZ_VERSION="${CARGO_FUZZ_VERSION:-0.13.2}"
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked || exit 2
fi

ALL_TARGETS=(token_response vendor_messages json dates jwt url options store_decode redact)
read -r -a TARGETS <<<"${FUZZ_TARGETS:-${ALL_TARGETS[*]}}"
SANITIZER="${FUZZ_SANITIZER:-none}"

echo "== building ${#TARGETS[@]} fuzz targets (release, debug assertions, sanitizer: $SANITIZER)"
if [ -z "${FUZZ_TARGETS:-}" ]; then
    cargo fuzz build --debug-assertions --sanitizer "$SANITIZER" || exit 2
else
    for t in "${TARGETS[@]}"; do
        cargo fuzz build --debug-assertions --sanitizer "$SANITIZER" "$t" || exit 2
    done
fi
HOST="$(rustc -vV | sed -n 's/^host: //p')"
BIN_DIR="$FUZZ_DIR/target/$HOST/release"

# Bounded memory and time: 512 MiB of RSS, inputs up to the 1 MiB body cap
# plus some, and any single input taking over 25 s counts as a hang.
FLAGS=(-rss_limit_mb=512 -malloc_limit_mb=512 -max_len=1100000 -timeout=25 -print_final_stats=1)
# A kept reproducer runs once, and must run fast: a slow one (quadratic
# parsing) fails at 2 s, where a fixed library takes milliseconds.
REPLAY_FLAGS=(-rss_limit_mb=512 -malloc_limit_mb=512 -max_len=1100000 -timeout=2)
LOG_DIR="$FUZZ_DIR/target/logs"
mkdir -p "$LOG_DIR"

# The last execution count a libFuzzer log reports.
executions() {
    local n
    n="$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$1" | tail -1)"
    [ -z "$n" ] && n="$(sed -n 's/^#\([0-9][0-9]*\)[[:space:]]*DONE.*/\1/p' "$1" | tail -1)"
    [ -z "$n" ] && n="$(sed -n 's/^#\([0-9][0-9]*\)[[:space:]].*/\1/p' "$1" | tail -1)"
    echo "${n:-0}"
}

declare -A EXECS CRASHES
FAILED=0
REPORT=()

for t in "${TARGETS[@]}"; do
    bin="$BIN_DIR/$t"
    work="$FUZZ_DIR/target/corpus/$t"
    seeds="$FUZZ_DIR/corpus/$t"
    artifacts="$FUZZ_DIR/artifacts/$t"
    mkdir -p "$work" "$seeds" "$artifacts"
    EXECS[$t]=0
    CRASHES[$t]=0
    found=()

    # 1. Every kept reproducer must pass.
    if compgen -G "$FUZZ_DIR/regressions/$t/*" >/dev/null; then
        for f in "$FUZZ_DIR/regressions/$t"/*; do
            log="$LOG_DIR/$t.regression.$(basename "$f").log"
            if ! "$bin" "${REPLAY_FLAGS[@]}" "$f" >"$log" 2>&1; then
                CRASHES[$t]=$((CRASHES[$t] + 1))
                found+=("regression $f")
                echo "!! $t: regression $(basename "$f") fails:"
                grep -m1 -A1 -E "panicked at|ERROR: libFuzzer" "$log" | cut -c1-300 | sed 's/^/   /'
            fi
        done
    fi

    # 2. Fuzz for the time given; after a crash, go on with the time left.
    deadline=$(($(date +%s) + SECONDS_PER_TARGET))
    run=0
    while :; do
        left=$((deadline - $(date +%s)))
        [ "$left" -lt 1 ] && break
        run=$((run + 1))
        log="$LOG_DIR/$t.$run.log"
        "$bin" "${FLAGS[@]}" -max_total_time="$left" -artifact_prefix="$artifacts/" "$work" "$seeds" >"$log" 2>&1
        rc=$?
        EXECS[$t]=$((EXECS[$t] + $(executions "$log")))
        [ "$rc" -eq 0 ] && break
        CRASHES[$t]=$((CRASHES[$t] + 1))
        artifact="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)"
        found+=("${artifact:-exit $rc, see $log}")
        echo "!! $t: crash (exit $rc): ${artifact:-no artifact, see $log}"
        grep -m1 -A1 -E "panicked at|ERROR: libFuzzer" "$log" | cut -c1-300 | sed 's/^/   /'
        # A crash on the corpus itself would only repeat: stop this target.
        grep -q "INITED" "$log" || break
        [ "$run" -ge 20 ] && break
    done

    line="$(printf '%-16s %12d executions  %d crashes' "$t" "${EXECS[$t]}" "${CRASHES[$t]}")"
    echo "$line"
    REPORT+=("$line")
    for a in "${found[@]+"${found[@]}"}"; do REPORT+=("                   $a"); done
    [ "${CRASHES[$t]}" -gt 0 ] && FAILED=$((FAILED + 1))
done

echo
echo "== fuzz summary (${SECONDS_PER_TARGET}s per target)"
printf '%s\n' "${REPORT[@]}"
echo "fuzz: $((${#TARGETS[@]} - FAILED)) passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
