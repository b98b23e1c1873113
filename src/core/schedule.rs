//! When to act without being asked: the refresh timer and the retry backoff.
//! Pure functions of the clock and a jitter value the caller draws (0..1),
//! so the whole schedule is tested natively and deterministically.

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

/// Timer refreshes are at least this far apart, whatever a token's lifetime
/// (a vendor that sends `expires_in: 0` must not get a request loop).
pub const MIN_REFRESH_INTERVAL_MS: u64 = 1_000;

/// How long to arm the refresh timer for: until `renew_at` (but not sooner
/// than the minimum interval after the token was obtained), in steps.
pub fn timer_delay(renew_at: Millis, obtained_at: Millis, now: Millis) -> u64 {
    let target = renew_at.max(obtained_at.saturating_add(MIN_REFRESH_INTERVAL_MS));
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

    #[test]
    fn long_timers_are_stepped() {
        assert_eq!(timer_delay(10_000, 0, 4_000), 6_000);
        assert_eq!(timer_delay(3 * 86_400_000, 0, 0), MAX_TIMER_STEP_MS);
        assert_eq!(timer_delay(5, 0, 10_000), 0);
    }

    #[test]
    fn a_zero_lifetime_token_is_not_refreshed_in_a_loop() {
        // expires_in: 0 makes renew_at == obtained_at.
        assert_eq!(timer_delay(50_000, 50_000, 50_000), MIN_REFRESH_INTERVAL_MS);
        assert_eq!(timer_delay(50_000, 50_000, 50_600), 400);
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
