//! When to act without being asked: the refresh timer and the retry backoff.
//! Pure functions of the clock and a jitter value the caller draws (0..1),
//! so the whole schedule is tested natively and deterministically.

use super::error::Failure;
use super::Millis;

/// Timers longer than 2^31-1 ms overflow in every JS runtime (they fire at
/// once); long waits are re-armed in steps no longer than this. An hour also
/// bounds how late a throttled background tab can notice a due refresh.
pub const MAX_TIMER_STEP_MS: u64 = 3_600_000;

/// The first retry after a failed timer refresh waits about this long…
pub const BACKOFF_BASE_MS: u64 = 1_000;
/// …doubling each time, up to this.
pub const BACKOFF_CAP_MS: u64 = 60_000;
/// A `Retry-After` longer than this is not waited for in full.
pub const MAX_RETRY_AFTER_MS: u64 = 3_600_000;

/// A token that lives less than twice this is not refreshed by timer sooner
/// than this after it arrived (a vendor that sends `expires_in: 0` must not
/// get a request loop). Longer-lived tokens are refreshed at their point:
/// pushing a 2-second token's timer to 1 s would put it at the callers' due
/// point, where a caller can arrive just before the timer does.
pub const MIN_REFRESH_INTERVAL_MS: u64 = 1_000;

/// How long to arm the refresh timer for: until `target`, in steps.
pub fn timer_delay(target: Millis, obtained_at: Millis, expires_at: Millis, now: Millis) -> u64 {
    let lifetime = expires_at.saturating_sub(obtained_at);
    let floor = if lifetime < 2 * MIN_REFRESH_INTERVAL_MS { MIN_REFRESH_INTERVAL_MS } else { 0 };
    let target = target.max(obtained_at.saturating_add(floor));
    target.saturating_sub(now).min(MAX_TIMER_STEP_MS)
}

/// The delay before retry number `attempt` (0 for the first retry): capped
/// exponential backoff with "equal jitter" (half fixed, half random), so
/// clients that failed together do not retry together. A server's
/// `Retry-After` is honoured as a lower bound.
pub fn backoff_delay(attempt: u32, jitter: f64, retry_after_ms: Option<u64>) -> u64 {
    let exp = BACKOFF_BASE_MS.saturating_mul(1u64 << attempt.min(20)).min(BACKOFF_CAP_MS);
    let jitter = if jitter.is_finite() { jitter.clamp(0.0, 1.0) } else { 0.5 };
    let jittered = exp / 2 + (exp as f64 / 2.0 * jitter) as u64;
    match retry_after_ms {
        Some(ra) => jittered.max(ra.min(MAX_RETRY_AFTER_MS)),
        None => jittered,
    }
}

/// Retries of one token request after a server error, at most.
pub const MAX_TOKEN_RETRIES: u32 = 2;
/// First wait before retrying a 5xx, doubled for the second.
const RETRY_BASE_MS: u64 = 200;

/// Whether, and after how long, to retry a failed token request
/// (`retries` done so far; `budget_ms` of waiting left, from `timeoutMs`):
/// - 429 and 503 with `Retry-After`: wait that long if it fits the budget;
/// - other 5xx (and 503 without `Retry-After`): at most twice, jittered;
/// - 4xx, network, timeout, unusable responses: never (a wrong secret will
///   not become right, and a slow vendor should not be made slower).
pub fn token_retry(failure: &Failure, retries: u32, jitter: f64, budget_ms: u64) -> Option<u64> {
    if retries >= MAX_TOKEN_RETRIES {
        return None;
    }
    let wait = match (failure.status, failure.retry_after_ms) {
        (Some(429 | 503), Some(after)) => after,
        (Some(429), None) => return None,
        (Some(500..=599), _) => {
            let base = RETRY_BASE_MS << retries;
            let jitter = if jitter.is_finite() { jitter.clamp(0.0, 1.0) } else { 0.5 };
            base / 2 + (base as f64 / 2.0 * jitter) as u64
        }
        _ => return None,
    };
    (wait <= budget_ms).then_some(wait)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn backoff_sequence_doubles_to_the_cap() {
        let seq: Vec<u64> = (0..9).map(|a| backoff_delay(a, 1.0, None)).collect();
        assert_eq!(seq, vec![1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
        let low: Vec<u64> = (0..4).map(|a| backoff_delay(a, 0.0, None)).collect();
        assert_eq!(low, vec![500, 1_000, 2_000, 4_000]);
    }

    #[test]
    fn retry_after_is_a_lower_bound() {
        assert_eq!(backoff_delay(0, 0.0, Some(5_000)), 5_000);
        assert_eq!(backoff_delay(6, 1.0, Some(5_000)), 60_000);
        assert_eq!(backoff_delay(0, 0.0, Some(u64::MAX)), MAX_RETRY_AFTER_MS);
    }

    fn failure(status: u16, retry_after_ms: Option<u64>) -> Failure {
        let mut f = Failure::new(crate::core::error::ErrorCode::for_status(status), "x");
        f.status = Some(status);
        f.retry_after_ms = retry_after_ms;
        f
    }

    #[test]
    fn token_retry_policy() {
        // 5xx: twice, then give up.
        assert_eq!(token_retry(&failure(500, None), 0, 1.0, 10_000), Some(200));
        assert_eq!(token_retry(&failure(502, None), 1, 0.0, 10_000), Some(200));
        assert_eq!(token_retry(&failure(500, None), 2, 0.0, 10_000), None);
        // Retry-After on 429 and 503, within the budget only.
        assert_eq!(token_retry(&failure(429, Some(1_000)), 0, 0.5, 10_000), Some(1_000));
        assert_eq!(token_retry(&failure(503, Some(1_000)), 0, 0.5, 500), None);
        assert_eq!(token_retry(&failure(429, None), 0, 0.5, 10_000), None);
        assert_eq!(token_retry(&failure(503, None), 0, 1.0, 10_000), Some(200));
        // Never for credentials, forbidden, or anything without a status.
        for status in [400, 401, 403, 404] {
            assert_eq!(token_retry(&failure(status, Some(1)), 0, 0.5, 10_000), None, "{status}");
        }
        let mut net = failure(500, None);
        net.status = None;
        assert_eq!(token_retry(&net, 0, 0.5, 10_000), None);
    }

    #[test]
    fn long_timers_are_stepped() {
        assert_eq!(timer_delay(10_000, 0, 20_000, 4_000), 6_000);
        assert_eq!(timer_delay(3 * 86_400_000, 0, 4 * 86_400_000, 0), MAX_TIMER_STEP_MS);
        assert_eq!(timer_delay(5, 0, 20_000, 10_000), 0);
    }

    #[test]
    fn a_zero_lifetime_token_is_not_refreshed_in_a_loop() {
        // expires_in: 0 makes the target the arrival itself.
        assert_eq!(timer_delay(50_000, 50_000, 50_000, 50_000), MIN_REFRESH_INTERVAL_MS);
        assert_eq!(timer_delay(50_000, 50_000, 50_000, 50_600), 400);
    }

    #[test]
    fn a_two_second_token_is_refreshed_before_callers_are_due() {
        // 2 s token, leeway capped at 1 s: the timer aims at 0.875 s, not the 1 s floor.
        assert_eq!(timer_delay(875, 0, 2_000, 0), 875);
    }

    proptest! {
        #[test]
        fn backoff_is_bounded(attempt in 0u32..1000, jitter in proptest::num::f64::ANY, ra in proptest::option::of(0u64..u64::MAX)) {
            let d = backoff_delay(attempt, jitter, ra);
            prop_assert!(d >= BACKOFF_BASE_MS / 2);
            prop_assert!(d <= BACKOFF_CAP_MS.max(MAX_RETRY_AFTER_MS));
            prop_assert!(d < i32::MAX as u64);
        }
    }
}
