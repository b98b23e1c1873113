//! The token manager's deterministic simulation (see `engine.rs`), run by
//! `cargo test`: `SIM_SEEDS` schedules (10,000 unless set), then the
//! regressions the simulation found, each kept as its seed and as steps.

mod engine;

use engine::{reproduction, run, run_many};

fn seeds() -> u64 {
    std::env::var("SIM_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000)
}

#[test]
fn schedules() {
    let n = seeds();
    let (violations, failing) = run_many(1, n);
    for (seed, r) in &failing {
        eprintln!("{}", reproduction(*seed, r));
    }
    println!("sim: {n} schedules, {violations} invariant violations");
    assert_eq!(violations, 0, "the simulation found invariant violations (reproductions above)");
}

#[test]
fn a_schedule_is_deterministic() {
    for seed in [1, 77, 4242] {
        let (a, b) = (run(seed, true), run(seed, true));
        assert_eq!(a.log, b.log);
        assert_eq!(a.violations, b.violations);
    }
}
