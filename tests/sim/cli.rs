//! `make sim SEEDS=N`: runs N schedules of the token manager's simulation
//! (`tests/sim/engine.rs`), prints a reproduction of the first failing
//! ones, and ends with `sim: N schedules, V invariant violations`; exits 1
//! when V > 0. `cargo run --example sim -- N [FIRST_SEED]`; one seed with
//! its full log: `cargo run --example sim -- 1 SEED --log`.

mod engine;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: u64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let first: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1);
    if args.iter().any(|a| a == "--log") {
        let r = engine::run(first, true);
        println!("{}", engine::reproduction(first, &r));
        println!("sim: 1 schedules, {} invariant violations", r.violations.len());
        std::process::exit(i32::from(!r.violations.is_empty()));
    }
    let (violations, failing) = engine::run_many(first, n);
    for (seed, r) in &failing {
        println!("{}", engine::reproduction(*seed, r));
    }
    println!("sim: {n} schedules, {violations} invariant violations");
    std::process::exit(i32::from(violations > 0));
}
