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

/// The refresh timer never fires sooner than this after the token it
/// renews arrived, and a retry never sooner than this after the last
/// attempt: at most one timer token request a second, whatever the
/// lifetime (a vendor that sends `expires_in: 0` or `1` gets no request
/// loop). Tokens that live under two seconds are renewed at 1 s even if
/// that is past the callers' due point.
pub const MIN_TIMER_INTERVAL_MS: u64 = 1_000;

/// How long to arm the refresh timer for: until `target`, in steps, and
/// never sooner than [`MIN_TIMER_INTERVAL_MS`] after the token arrived.
/// Zero means the renewal is due now.
pub fn timer_delay(target: Millis, obtained_at: Millis, now: Millis) -> u64 {
    let target = target.max(obtained_at.saturating_add(MIN_TIMER_INTERVAL_MS));
    target.saturating_sub(now).min(MAX_TIMER_STEP_MS)
}

/// The delay before the timer retries a failed refresh: the backoff, but
/// not past the current token's end (`valid_for_ms`), and never under
/// [`MIN_TIMER_INTERVAL_MS`].
pub fn retry_timer_delay(attempt: u32, jitter: f64, retry_after_ms: Option<u64>, valid_for_ms: u64) -> u64 {
    backoff_delay(attempt, jitter, retry_after_ms).min(valid_for_ms).max(MIN_TIMER_INTERVAL_MS)
}

/// A flight cut at its deadline settles a moment after it; a caller's own
/// wait (and a joiner's patience) ends this much later, so the flight's
/// own error, which says what ran out, reaches the caller first.
pub const DEADLINE_GRACE_MS: u64 = 250;

/// How long the next attempt of a token request may take: `timeoutMs`,
/// cut to what is left of the flight's `deadlineMs` (`deadline_at`);
/// `None` once nothing is left.
pub fn attempt_timeout(timeout_ms: u32, deadline_at: Millis, now: Millis) -> Option<u32> {
    let left = deadline_at.saturating_sub(now);
    (left > 0).then(|| u64::from(timeout_ms).min(left) as u32)
}

/// How long a retry may wait: what is left of `timeoutMs` of waiting
/// (`waited` so far), and of the flight's deadline.
pub fn retry_budget(timeout_ms: u32, waited: u64, deadline_at: Millis, now: Millis) -> u64 {
    u64::from(timeout_ms).saturating_sub(waited).min(deadline_at.saturating_sub(now))
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
        assert_eq!(timer_delay(10_000, 0, 4_000), 6_000);
        assert_eq!(timer_delay(3 * 86_400_000, 0, 0), MAX_TIMER_STEP_MS);
        assert_eq!(timer_delay(5_000, 0, 10_000), 0);
    }

    #[test]
    fn a_zero_or_short_lifetime_token_is_not_refreshed_more_than_once_a_second() {
        // expires_in: 0 makes the target the arrival itself; a 2 s token's
        // timer (leeway capped at 1 s) would aim at 0.875 s.
        assert_eq!(timer_delay(50_000, 50_000, 50_000), MIN_TIMER_INTERVAL_MS);
        assert_eq!(timer_delay(50_000, 50_000, 50_600), 400);
        assert_eq!(timer_delay(875, 0, 0), MIN_TIMER_INTERVAL_MS);
        // Failed refreshes retry no faster either, even with the token about to end.
        assert_eq!(retry_timer_delay(0, 0.0, None, 3), MIN_TIMER_INTERVAL_MS);
        assert_eq!(retry_timer_delay(3, 1.0, None, 60_000), 8_000);
    }

    #[test]
    fn the_deadline_cuts_attempts_and_waits() {
        assert_eq!(attempt_timeout(10_000, 30_000, 0), Some(10_000));
        assert_eq!(attempt_timeout(10_000, 30_000, 25_000), Some(5_000));
        assert_eq!(attempt_timeout(10_000, 30_000, 30_000), None);
        assert_eq!(retry_budget(10_000, 2_000, 30_000, 0), 8_000);
        assert_eq!(retry_budget(10_000, 0, 30_000, 29_500), 500);
    }

    proptest! {
        /// Whatever the lifetime and clock, a timer set after a token arrived
        /// fires at least a second after it (so at most once a second).
        #[test]
        fn the_timer_never_fires_within_a_second_of_the_token(target in 0u64..1 << 45, obtained in 0u64..1 << 45, late in 0u64..5_000) {
            let now = obtained + late;
            let d = timer_delay(target, obtained, now);
            prop_assert!(now + d >= obtained + MIN_TIMER_INTERVAL_MS || d == MAX_TIMER_STEP_MS);
        }

        #[test]
        fn backoff_is_bounded(attempt in 0u32..1000, jitter in proptest::num::f64::ANY, ra in proptest::option::of(0u64..u64::MAX)) {
            let d = backoff_delay(attempt, jitter, ra);
            prop_assert!(d >= BACKOFF_BASE_MS / 2);
            prop_assert!(d <= BACKOFF_CAP_MS.max(MAX_RETRY_AFTER_MS));
            prop_assert!(d < i32::MAX as u64);
        }
    }
}
