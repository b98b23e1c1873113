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

use engine::{replay, ErrorBody, LeaseKind, Mode, Outcome, Scenario, Step, StoreKind};

fn success(lifetime_s: u64) -> Outcome {
    Outcome::Success { lifetime_s, refresh_s: None }
}

fn assert_clean(name: &str, sc: Scenario, steps: &[Step]) {
    let r = replay(sc, steps, true);
    assert!(r.violations.is_empty(), "{name}:\n{}", reproduction(0, &r));
}

/// The seeds that found each bug below, replayed with the generator as it
/// was when they were found (a later change to the generator may steer
/// them elsewhere; the hand-written schedules below keep each bug pinned).
#[test]
fn seeds_that_found_bugs() {
    for seed in [4, 6, 16, 21, 24, 30, 62, 97, 527, 8503] {
        let r = run(seed, false);
        assert!(r.violations.is_empty(), "seed {seed}:\n{}", reproduction(seed, &run(seed, true)));
    }
}

/// Seeds 6, 21, 133: a flight in progress at free() went on: retries,
/// store writes, onToken and resolved callers after free().
#[test]
fn free_stops_the_flight_in_progress() {
    let mut sc = Scenario::fixed("younium", Mode::Workers, false);
    sc.script = vec![(success(3_600), 500)];
    assert_clean("a token arriving after free()", sc, &[Step::Ask { wait_until: false }, Step::Advance(100), Step::Free, Step::Advance(1_000)]);

    let mut sc = Scenario::fixed("union", Mode::Timers, true);
    sc.script = vec![(Outcome::Status { status: 500, retry_after: None, body: ErrorBody::Html }, 50), (success(3_600), 50)];
    sc.store_script = vec![(5, StoreKind::Miss), (5, StoreKind::Normal)];
    assert_clean("a retry after free()", sc, &[Step::Ask { wait_until: true }, Step::Advance(60), Step::Free, Step::Advance(2_000)]);
}

/// Seed 6: invalidate() forgot the flight whose request was out, and the
/// next caller sent a second token request beside it.
#[test]
fn invalidate_during_a_request_keeps_one_request_out() {
    let mut sc = Scenario::fixed("younium", Mode::Workers, false);
    sc.script = vec![(success(3_600), 500), (success(3_600), 100)];
    assert_clean(
        "invalidate() while a request is out",
        sc,
        &[Step::Ask { wait_until: false }, Step::Advance(100), Step::Invalidate, Step::Ask { wait_until: false }, Step::Advance(2_000)],
    );
}

/// Seeds 24, 30: a response that never arrives left the caller that
/// started the flight waiting for ever (the callers that joined it gave up
/// and started their own).
#[test]
fn a_response_that_never_arrives_does_not_hang_its_callers() {
    let mut sc = Scenario::fixed("younium", Mode::Workers, false);
    sc.timeout_ms = 100;
    sc.script = vec![(Outcome::Lost, 0), (Outcome::Lost, 0), (Outcome::Lost, 0)];
    assert_clean("lost responses", sc, &[Step::Ask { wait_until: false }, Step::Advance(10), Step::Ask { wait_until: true }, Step::Advance(4_000)]);
}

/// Seed 62: the wall clock set back made the cached (expired) token fresh
/// again; new callers got it while the callers already waiting went on
/// waiting for the flight.
#[test]
fn waiting_callers_take_a_token_that_is_fresh_again() {
    let mut sc = Scenario::fixed("younium-v1", Mode::Workers, false);
    sc.leeway_s = 0;
    sc.script = vec![(success(2), 50), (Outcome::Lost, 0)];
    assert_clean(
        "clock set back while a caller waits",
        sc,
        &[Step::Ask { wait_until: false }, Step::Advance(100), Step::Advance(3_000), Step::Ask { wait_until: false }, Step::ClockJump(-86_400_000), Step::Ask { wait_until: false }],
    );
}

/// Seed 8503: with auto-refresh and a store, the refreshed token waited
/// for the store write (up to its 1 s bound) before anyone got it, and a
/// steady caller waited once the old token expired.
#[test]
fn the_store_write_does_not_hold_the_token_back() {
    let mut sc = Scenario::fixed("younium", Mode::Timers, true);
    sc.steady = true;
    sc.leeway_s = 1;
    sc.lifetimes = vec![2];
    sc.script = vec![(success(2), 50), (success(2), 500)];
    sc.store_script = vec![(10, StoreKind::Miss), (900, StoreKind::Normal), (10, StoreKind::Miss), (900, StoreKind::Normal)];
    assert_clean("a slow store write", sc, &[Step::Ask { wait_until: false }, Step::Advance(2_300), Step::Ask { wait_until: false }, Step::Advance(10)]);
}

/// Seed 527: a refresh token the vendor echoed in an error was shown
/// once the cache no longer held it (an API 401 or invalidate() while the
/// refresh request was out).
#[test]
fn an_echoed_refresh_token_is_redacted_after_the_cache_dropped_it() {
    let mut sc = Scenario::fixed("union", Mode::Workers, false);
    sc.script = vec![
        (Outcome::Success { lifetime_s: 2, refresh_s: Some(600) }, 10),
        (Outcome::Status { status: 429, retry_after: None, body: ErrorBody::Echo(0) }, 100),
    ];
    assert_clean(
        "an echo of the refresh token",
        sc,
        &[Step::Ask { wait_until: false }, Step::Advance(100), Step::Advance(3_000), Step::Ask { wait_until: false }, Step::Refuse("at-1-1".into()), Step::Advance(200)],
    );
}

/// The oauth2 detection in the manager: against a server that takes only
/// a form with HTTP Basic, the first call finds it within three requests
/// (JSON, form, form with Basic), and every call after it (the token
/// invalidated) sends one request, in the format found.
#[test]
fn oauth2_detection_is_learnt_once_for_the_client() {
    let mut sc = Scenario::fixed("oauth2", Mode::Workers, false);
    sc.server = engine::Server { refuses_json: true, refuses_body_auth: true, json_415: false };
    let steps = [Step::Ask { wait_until: false }, Step::Advance(3_000), Step::Invalidate, Step::Ask { wait_until: false }, Step::Advance(3_000)];
    let r = replay(sc, &steps, true);
    assert!(r.violations.is_empty(), "{}", reproduction(0, &r));
    let (json, form, basic) = ((false, false), (true, false), (true, true));
    assert_eq!(r.formats, vec![json, form, basic, basic], "{}", reproduction(0, &r));
    assert_eq!(r.stats.resolved, 2);
}

/// A store with a lease: one client asks the vendor; the others wait for
/// its token, bounded by timeoutMs plus a store call, then ask themselves.
#[test]
fn a_lease_held_by_another_client_is_waited_for_bounded() {
    let lease_sc = |kind: LeaseKind, mode: Mode| {
        let mut sc = Scenario::fixed("younium", mode, true);
        sc.lease = true;
        sc.script = vec![(success(3_600), 50)];
        // A miss, then every read during the wait answers with what the store holds.
        sc.store_script = [(5, StoreKind::Miss)].into_iter().chain(std::iter::repeat_n((5, StoreKind::Normal), 100)).collect();
        sc.lease_script = vec![(5, kind)];
        sc
    };
    let wait = 1_000 + edge_auth::core::manager::STORE_BOUND_MS as u64;
    for mode in [Mode::Timers, Mode::Workers] {
        // The holder's token arrives during the wait: taken, no token request.
        let r = replay(lease_sc(LeaseKind::HeldWrites { after: 300, lifetime_s: 3_600 }, mode), &[Step::Ask { wait_until: false }, Step::Advance(5_000)], true);
        assert!(r.violations.is_empty(), "{}", reproduction(0, &r));
        assert_eq!(r.token_requests, 0, "the holder's token is used ({mode:?}):\n{}", r.log.join("\n"));
        assert_eq!(r.stats.resolved, 1);
        assert_eq!(r.stats.store_tokens, 1);

        // The holder dies: after the bound, one request, and onStoreError says so.
        let r = replay(lease_sc(LeaseKind::HeldDies, mode), &[Step::Ask { wait_until: false }, Step::Advance(wait - 100), Step::Ask { wait_until: false }, Step::Advance(5_000)], true);
        assert!(r.violations.is_empty(), "{}", reproduction(0, &r));
        assert_eq!(r.token_requests, 1, "{mode:?}:\n{}", r.log.join("\n"));
        assert_eq!(r.stats.resolved, 2);
        assert!(r.log.iter().any(|l| l.contains("ReportStoreError(\"the lease holder wrote no token in time; requesting one\")")));

        // Granted: one request, and its token is written.
        let r = replay(lease_sc(LeaseKind::Granted, mode), &[Step::Ask { wait_until: false }, Step::Advance(5_000)], true);
        assert!(r.violations.is_empty(), "{}", reproduction(0, &r));
        assert_eq!(r.token_requests, 1);
        assert!(r.log.iter().any(|l| l.contains("WriteStore")));

        // The lease call fails or hangs: the client asks the vendor at once, or after a store call's bound.
        for kind in [LeaseKind::Failed, LeaseKind::Hang] {
            let r = replay(lease_sc(kind, mode), &[Step::Ask { wait_until: false }, Step::Advance(5_000)], true);
            assert!(r.violations.is_empty(), "{}", reproduction(0, &r));
            assert_eq!(r.token_requests, 1, "{kind:?}");
            assert_eq!(r.stats.resolved, 1);
        }
    }
    // Without a lease, the store is read and written as before: no lease asked.
    let mut sc = Scenario::fixed("younium", Mode::Timers, true);
    sc.script = vec![(success(3_600), 50)];
    let r = replay(sc, &[Step::Ask { wait_until: false }, Step::Advance(5_000)], true);
    assert!(r.violations.is_empty() && r.token_requests == 1 && !r.log.iter().any(|l| l.contains("AcquireLease")));
}
