//! The token cache as a state machine with the clock passed in.
//!
//! States: **empty** (no token), **fresh** (use it), **within leeway**
//! (still valid but due for renewal), **expired**, and, orthogonally,
//! **acquiring** (a token request is in flight). The shell asks
//! [`TokenCache::next`] what to do and reports back with
//! [`TokenCache::begin`] and [`TokenCache::finish`]; it owns the I/O and the
//! promise that waiters share, the cache owns every decision.

use super::dialect::Grant;
use super::response::Token;
use super::secret::Secret;
use super::Millis;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Empty,
    Fresh,
    WithinLeeway,
    Expired,
}

/// What a caller who wants a token should do now.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// The cached token is fresh.
    Use,
    /// Wait for the token request already in flight.
    Join(u64),
    /// Start a token request.
    Start,
}

/// After an API's 401 has forced a new token, another 401 on that new token
/// within this long (from when it arrived), before any API accepted it,
/// does not force one more: the credentials are fine, the endpoint refuses
/// something else, and asking again would only hand it one valid token per
/// call (docs/API.md §4).
pub const REFUSAL_WINDOW_MS: u64 = 30_000;

/// With no caller in between, the refresh timer renews at most this many
/// times in a row, then stops; the next call gets a token (waiting for it)
/// and the timer starts again. An idle client with a 1-second token makes
/// three token requests, not one a second until `free()` (docs/API.md §6).
pub const MAX_IDLE_RENEWALS: u32 = 3;

/// What became of an API's 401 on a token (see [`TokenCache::refuse`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The token was dropped: get another and send the call again.
    Dropped,
    /// Another caller had already replaced it: send the call again with the new one.
    AlreadyReplaced,
    /// It replaced a refused token moments ago ([`REFUSAL_WINDOW_MS`]): kept,
    /// and the 401 is the answer.
    Kept,
}

/// Where a token came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Vendor,
    Store,
}

#[derive(Clone, Copy, Debug)]
struct Flight {
    id: u64,
    started_at: Millis,
}

#[derive(Debug)]
pub struct TokenCache {
    token: Option<Token>,
    leeway_ms: u64,
    /// 0..1: how far into the leeway window this client waits before it
    /// renews. Clients sharing a store each draw one, so they spread their
    /// renewals over the back half of the window instead of renewing together.
    jitter: f64,
    /// Whether a shared store is in use: renewal timing then spreads clients.
    shared: bool,
    /// The last token refused (an API 401) or invalidated: never adopted
    /// again from the shared store, where other clients may still have it.
    refused: Option<Secret>,
    /// When an API last refused (401) the cached token.
    refused_at: Option<Millis>,
    /// The cached token was read from the shared store.
    from_store: bool,
    /// A token from the store was refused: the next token request goes to
    /// the vendor (and overwrites the entry) instead of reading the store.
    bypass_store: bool,
    /// Timer renewals since a caller last asked for a token.
    idle_renewals: u32,
    flight: Option<Flight>,
    flights: u64,
}

impl TokenCache {
    pub fn new(leeway_ms: u64) -> Self {
        TokenCache {
            token: None,
            leeway_ms,
            jitter: 0.0,
            shared: false,
            refused: None,
            refused_at: None,
            from_store: false,
            bypass_store: false,
            idle_renewals: 0,
            flight: None,
            flights: 0,
        }
    }

    /// A cache whose clients share a store: each draws `jitter` (0..1) and
    /// renews at that point of the leeway window. The shell draws a new one
    /// for every token, so two clients do not collide at every renewal.
    pub fn shared(mut self, jitter: f64) -> Self {
        self.shared = true;
        self.set_jitter(jitter);
        self
    }

    pub fn set_jitter(&mut self, jitter: f64) {
        self.jitter = if jitter.is_finite() { jitter.clamp(0.0, 0.999) } else { 0.0 };
    }

    pub fn token(&self) -> Option<&Token> {
        self.token.as_ref()
    }

    /// The leeway for this token: the configured one, but never more than
    /// half the token's lifetime, so a token that lives less than twice the
    /// leeway is still used for half its life instead of looking expired on
    /// arrival (and being fetched again on every call).
    pub fn leeway_for(&self, token: &Token) -> u64 {
        let full = self.full_leeway(token);
        full - (full as f64 * self.jitter / 2.0) as u64
    }

    fn full_leeway(&self, token: &Token) -> u64 {
        let lifetime = token.expires_at.saturating_sub(token.obtained_at);
        self.leeway_ms.min(lifetime / 2)
    }

    /// Whether a token read from the shared store is worth using: outside the
    /// full leeway (no jitter), so a reader never adopts one that is due;
    /// newer than the one cached (else it is our own, written back); and not
    /// a token that was refused or invalidated here.
    pub fn usable_from_store(&self, token: &Token, now: Millis) -> bool {
        let fresh = now < token.expires_at.saturating_sub(self.full_leeway(token));
        let newer = self.token.as_ref().is_none_or(|cached| token.expires_at > cached.expires_at);
        let refused = self.refused.as_ref().is_some_and(|r| r.expose() == token.access_token.expose());
        fresh && newer && !refused
    }

    /// When the token becomes due for renewal: the timer's target.
    pub fn renew_at(&self) -> Option<Millis> {
        self.token.as_ref().map(|t| t.expires_at.saturating_sub(self.leeway_for(t)))
    }

    pub fn state(&self, now: Millis) -> State {
        match &self.token {
            None => State::Empty,
            Some(t) if now >= t.expires_at => State::Expired,
            Some(t) if now >= t.expires_at.saturating_sub(self.leeway_for(t)) => State::WithinLeeway,
            Some(_) => State::Fresh,
        }
    }

    pub fn is_acquiring(&self) -> bool {
        self.flight.is_some()
    }

    /// What to do for a caller who wants a token at `now`. A flight older
    /// than `stale_after_ms` is not joined: its result may never arrive (in
    /// workerd, a promise made by a request that has ended never settles).
    ///
    /// With `background` (auto-refresh), a token within the leeway is still
    /// handed out while its replacement is already being fetched, so nobody
    /// waits on a timer's refresh. Otherwise a token within the leeway is
    /// replaced before use, as docs/API.md §4 says.
    pub fn next(&self, now: Millis, stale_after_ms: u64, background: bool) -> Next {
        let live_flight = self.flight.filter(|f| now.saturating_sub(f.started_at) < stale_after_ms);
        match (self.state(now), live_flight) {
            (State::Fresh, _) => Next::Use,
            (State::WithinLeeway, Some(_)) if background => Next::Use,
            (_, Some(f)) => Next::Join(f.id),
            (_, None) => Next::Start,
        }
    }

    /// When the refresh timer should fire.
    ///
    /// Alone: an eighth of the leeway before the token becomes due, so the
    /// refresh is in flight (and callers keep the valid token) before any
    /// caller sees the old one as due, with hardly any lifetime given up.
    ///
    /// With a shared store: inside the full leeway window, at this client's
    /// jittered point (3/8 of the jitter into it, still before the callers'
    /// due point at 1/2 of it). Inside the window a stored copy of the same
    /// token no longer counts as fresh, so the refresh reads the store for a
    /// newer token and otherwise asks the vendor, rather than adopting its
    /// own token again and again.
    pub fn timer_at(&self) -> Option<Millis> {
        self.token.as_ref().map(|t| {
            let at = if self.shared {
                let full = self.full_leeway(t);
                t.expires_at.saturating_sub(full) + (full as f64 * self.jitter * 3.0 / 8.0) as u64
            } else {
                let leeway = self.leeway_for(t);
                t.expires_at.saturating_sub(leeway + leeway / 8)
            };
            at.max(t.obtained_at)
        })
    }

    /// The cached token if it has not expired (it may be within the leeway).
    pub fn valid(&self, now: Millis) -> Option<&Token> {
        self.token.as_ref().filter(|t| now < t.expires_at)
    }

    /// Records that a token request started; returns its id.
    pub fn begin(&mut self, now: Millis) -> u64 {
        self.flights += 1;
        self.flight = Some(Flight { id: self.flights, started_at: now });
        self.flights
    }

    /// Whether flight `id` is the one in progress.
    pub fn is_current(&self, id: u64) -> bool {
        self.flight.is_some_and(|f| f.id == id)
    }

    /// Records the end of flight `id`. The current flight's token replaces the
    /// cached one. A superseded flight's token is kept only if it outlives
    /// the cached token; after `invalidate()` (nothing cached, no flight)
    /// it is dropped, so nobody receives a token asked for before then.
    pub fn finish(&mut self, id: u64, token: Option<Token>) {
        self.finish_from(id, token, Source::Vendor);
    }

    /// [`finish`](Self::finish), saying where the token came from. A token
    /// from the vendor ends a store bypass (it is written to the store).
    pub fn finish_from(&mut self, id: u64, token: Option<Token>, source: Source) {
        let current = self.is_current(id);
        if current {
            self.flight = None;
        }
        if let Some(new) = token {
            let outlives = self.token.as_ref().is_some_and(|old| new.expires_at >= old.expires_at);
            if current || outlives {
                self.token = Some(new);
                self.from_store = source == Source::Store;
                if source == Source::Vendor {
                    self.bypass_store = false;
                }
            }
        }
    }

    /// Whether the next token request reads the shared store first: not
    /// after an API refused a token that came from it.
    pub fn reads_store(&self) -> bool {
        !self.bypass_store
    }

    /// A caller asked for a token (through the wasm, or by using the
    /// published one): the refresh timer may renew again.
    pub fn caller_seen(&mut self) {
        self.idle_renewals = 0;
    }

    /// Whether the refresh timer may start a renewal now
    /// ([`MAX_IDLE_RENEWALS`] in a row at most without a caller).
    pub fn timer_may_renew(&self) -> bool {
        self.idle_renewals < MAX_IDLE_RENEWALS
    }

    /// The refresh timer started a renewal.
    pub fn timer_renewed(&mut self) {
        self.idle_renewals = self.idle_renewals.saturating_add(1);
    }

    /// Which grant the next token request should use: union's refresh token
    /// while it is still valid (no leeway: it is worth trying to the end),
    /// the credentials otherwise.
    pub fn grant(&self, now: Millis) -> Grant<'_> {
        match &self.token {
            Some(Token { refresh_token: Some(rt), refresh_expires_at: Some(until), .. }) if now < *until => Grant::Refresh(rt),
            _ => Grant::Credentials,
        }
    }

    /// Forgets the refresh token, after the server refused it.
    pub fn drop_refresh_token(&mut self) {
        if let Some(t) = &mut self.token {
            t.refresh_token = None;
            t.refresh_expires_at = None;
        }
    }

    /// Drops the cached token (and its refresh token). A flight in progress
    /// is forgotten too, so the next caller starts a new request rather than
    /// receive a token obtained before the invalidation.
    pub fn invalidate(&mut self) {
        if let Some(t) = self.token.take() {
            self.refused = Some(t.access_token);
        }
        self.flight = None;
    }

    /// An API answered a call made with `access_token` with a 401 at `now`;
    /// `accepted`: an API has answered a call with this token with
    /// something else before. The cached token is dropped if it is that
    /// token, unless it replaced a refused token less than
    /// [`REFUSAL_WINDOW_MS`] ago and no API has accepted it since (then the
    /// endpoint refuses something else; a token that worked and is now
    /// refused was revoked). A token another caller has already replaced is
    /// left alone. A refused token from the store makes the next token
    /// request bypass the store.
    pub fn refuse(&mut self, access_token: &str, accepted: bool, now: Millis) -> Refusal {
        let Some(t) = self.token.as_ref().filter(|t| t.access_token.expose() == access_token) else {
            return Refusal::AlreadyReplaced;
        };
        let replacement = self.refused_at.is_some_and(|at| t.obtained_at >= at);
        if replacement && !accepted && now < t.obtained_at.saturating_add(REFUSAL_WINDOW_MS) {
            return Refusal::Kept;
        }
        self.refused_at = Some(now);
        self.bypass_store |= self.from_store;
        self.refused = self.token.take().map(|t| t.access_token);
        Refusal::Dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::secret::Secret;
    use proptest::prelude::*;

    const T0: Millis = 1_000_000;

    fn token(name: &str, obtained: Millis, lifetime: Millis) -> Token {
        Token {
            access_token: Secret::new(name),
            token_type: "Bearer".into(),
            obtained_at: obtained,
            expires_at: obtained + lifetime,
            refresh_token: None,
            refresh_expires_at: None,
            scope: None,
        }
    }

    #[test]
    fn lifecycle_with_leeway() {
        let mut c = TokenCache::new(60_000);
        assert_eq!(c.state(T0), State::Empty);
        assert_eq!(c.next(T0, 10_000, false), Next::Start);
        let id = c.begin(T0);
        assert_eq!(c.next(T0 + 5, 10_000, false), Next::Join(id));
        c.finish(id, Some(token("a", T0, 3_600_000)));
        assert!(!c.is_acquiring());
        assert_eq!(c.state(T0 + 1000), State::Fresh);
        assert_eq!(c.next(T0 + 1000, 10_000, false), Next::Use);
        assert_eq!(c.state(T0 + 3_540_000), State::WithinLeeway);
        assert_eq!(c.next(T0 + 3_540_000, 10_000, false), Next::Start);
        assert_eq!(c.state(T0 + 3_600_000), State::Expired);
        assert_eq!(c.renew_at(), Some(T0 + 3_540_000));
    }

    #[test]
    fn background_mode_serves_a_valid_token_while_refreshing() {
        let mut c = TokenCache::new(60_000);
        let id = c.begin(T0);
        c.finish(id, Some(token("a", T0, 3_600_000)));
        assert_eq!(c.timer_at(), Some(T0 + 3_600_000 - 67_500));
        let due = T0 + 3_550_000;
        // Due, with nothing in flight: the caller waits for a new token…
        assert_eq!(c.next(due, 10_000, true), Next::Start);
        let id = c.begin(due);
        // …but while one is in flight, callers keep the valid one.
        assert_eq!(c.next(due + 1, 10_000, true), Next::Use);
        assert_eq!(c.next(due + 1, 10_000, false), Next::Join(id));
        assert_eq!(c.valid(due + 1).unwrap().access_token.expose(), "a");
        // Once it has expired, callers wait for the flight after all.
        assert_eq!(c.next(T0 + 3_600_000, 100_000, true), Next::Join(id));
        assert!(c.valid(T0 + 3_600_000).is_none());
    }

    #[test]
    fn short_tokens_get_half_their_life() {
        let mut c = TokenCache::new(60_000);
        let id = c.begin(T0);
        c.finish(id, Some(token("a", T0, 2_000)));
        assert_eq!(c.state(T0 + 999), State::Fresh);
        assert_eq!(c.state(T0 + 1000), State::WithinLeeway);
        assert_eq!(c.renew_at(), Some(T0 + 1000));
    }

    #[test]
    fn failed_flight_keeps_old_token() {
        let mut c = TokenCache::new(0);
        let id = c.begin(T0);
        c.finish(id, Some(token("a", T0, 10_000)));
        let id = c.begin(T0 + 20_000);
        c.finish(id, None);
        assert!(!c.is_acquiring());
        assert_eq!(c.token().unwrap().access_token.expose(), "a");
    }

    #[test]
    fn stale_flight_is_not_joined() {
        let mut c = TokenCache::new(0);
        let old = c.begin(T0);
        assert_eq!(c.next(T0 + 10_000, 10_000, false), Next::Start);
        let new = c.begin(T0 + 10_000);
        assert_ne!(old, new);
        // The superseded flight finishing does not end the current one.
        c.finish(old, None);
        assert!(c.is_current(new));
    }

    #[test]
    fn flight_finishing_after_invalidate_is_dropped() {
        let mut c = TokenCache::new(0);
        let id = c.begin(T0);
        c.invalidate();
        c.finish(id, Some(token("pre-invalidate", T0, 10_000)));
        assert_eq!(c.state(T0), State::Empty);
    }

    #[test]
    fn refuse_only_drops_that_token() {
        let mut c = TokenCache::new(0);
        let id = c.begin(T0);
        c.finish(id, Some(token("new", T0, 10_000)));
        assert_eq!(c.refuse("old", false, T0), Refusal::AlreadyReplaced);
        assert_eq!(c.state(T0), State::Fresh);
        assert_eq!(c.refuse("new", false, T0), Refusal::Dropped);
        assert_eq!(c.state(T0), State::Empty);
    }

    #[test]
    fn a_replacement_refused_again_within_the_window_is_kept() {
        let mut c = TokenCache::new(0);
        let id = c.begin(T0);
        c.finish(id, Some(token("a", T0, 3_600_000)));
        assert_eq!(c.refuse("a", false, T0 + 100), Refusal::Dropped);
        let id = c.begin(T0 + 100);
        c.finish(id, Some(token("b", T0 + 150, 3_600_000)));
        // A 401 on the replacement within the window: the endpoint refuses
        // something else. Twenty calls, no more tokens.
        for i in 0..20 {
            assert_eq!(c.refuse("b", false, T0 + 200 + i * 1000), Refusal::Kept);
        }
        assert_eq!(c.token().unwrap().access_token.expose(), "b");
        // After the window, a 401 counts again.
        assert_eq!(c.refuse("b", false, T0 + 150 + REFUSAL_WINDOW_MS), Refusal::Dropped);
        // A replacement that an API accepted and now refuses was revoked: dropped at once.
        let id = c.begin(T0 + 40_000);
        c.finish(id, Some(token("d", T0 + 40_000, 3_600_000)));
        assert_eq!(c.refuse("d", true, T0 + 40_100), Refusal::Dropped);
        // A token that did not replace a refused one is dropped at its first 401.
        let mut fresh = TokenCache::new(0);
        let id = fresh.begin(T0);
        fresh.finish(id, Some(token("c", T0, 3_600_000)));
        assert_eq!(fresh.refuse("c", false, T0 + 1), Refusal::Dropped);
    }

    #[test]
    fn a_refused_store_token_makes_the_next_request_bypass_the_store() {
        let mut c = TokenCache::new(0).shared(0.0);
        assert!(c.reads_store());
        let id = c.begin(T0);
        c.finish_from(id, Some(token("from-store", T0, 3_600_000)), Source::Store);
        assert!(c.reads_store());
        assert_eq!(c.refuse("from-store", false, T0 + 10), Refusal::Dropped);
        assert!(!c.reads_store(), "the next token request goes to the vendor");
        let id = c.begin(T0 + 10);
        c.finish_from(id, Some(token("from-vendor", T0 + 20, 3_600_000)), Source::Vendor);
        assert!(c.reads_store(), "a vendor token ends the bypass");
        // A refused vendor token does not bypass the store.
        assert_eq!(c.refuse("from-vendor", false, T0 + REFUSAL_WINDOW_MS + 30), Refusal::Dropped);
        assert!(c.reads_store());
    }

    #[test]
    fn the_timer_stops_renewing_after_idle_renewals() {
        let mut c = TokenCache::new(0);
        for _ in 0..MAX_IDLE_RENEWALS {
            assert!(c.timer_may_renew());
            c.timer_renewed();
        }
        assert!(!c.timer_may_renew(), "no caller since {MAX_IDLE_RENEWALS} renewals: stop");
        c.caller_seen();
        assert!(c.timer_may_renew());
    }

    #[test]
    fn refresh_grant_until_refresh_expiry() {
        let mut c = TokenCache::new(0);
        let mut t = token("a", T0, 10_000);
        t.refresh_token = Some(Secret::new("rt"));
        t.refresh_expires_at = Some(T0 + 5_000);
        let id = c.begin(T0);
        c.finish(id, Some(t));
        assert!(matches!(c.grant(T0 + 4_999), Grant::Refresh(rt) if rt.expose() == "rt"));
        assert!(matches!(c.grant(T0 + 5_000), Grant::Credentials));
        c.drop_refresh_token();
        assert!(matches!(c.grant(T0), Grant::Credentials));
    }

    #[test]
    fn jitter_spreads_renewal_over_the_back_half_of_the_leeway() {
        for (jitter, renew) in [(0.0, T0 + 3_540_000), (0.999, T0 + 3_569_970), (0.5, T0 + 3_555_000)] {
            let mut c = TokenCache::new(60_000).shared(jitter);
            let id = c.begin(T0);
            c.finish(id, Some(token("a", T0, 3_600_000)));
            assert_eq!(c.renew_at(), Some(renew), "jitter {jitter}");
        }
        let c = TokenCache::new(60_000).shared(0.999);
        let t = token("s", T0, 3_600_000);
        assert!(c.usable_from_store(&t, T0 + 3_539_999));
        assert!(!c.usable_from_store(&t, T0 + 3_540_000), "within the full leeway: ignored");
    }

    #[test]
    fn shared_timer_fires_inside_the_window_before_callers_are_due() {
        for jitter in [0.0, 0.3, 0.6, 0.999] {
            let mut c = TokenCache::new(60_000).shared(jitter);
            let id = c.begin(T0);
            c.finish(id, Some(token("own", T0, 3_600_000)));
            let (timer, due) = (c.timer_at().unwrap(), c.renew_at().unwrap());
            assert!(timer >= T0 + 3_540_000, "jitter {jitter}: inside the full leeway window");
            assert!(timer <= due, "jitter {jitter}: not after the callers' due point");
            // Our own token, written back to the store, is not adopted at timer time.
            let own = token("own", T0, 3_600_000);
            assert!(!c.usable_from_store(&own, timer), "jitter {jitter}");
        }
    }

    #[test]
    fn store_adoption_needs_a_newer_token_that_was_not_refused() {
        let mut c = TokenCache::new(60_000).shared(0.0);
        let id = c.begin(T0);
        c.finish(id, Some(token("a", T0, 3_600_000)));
        assert!(!c.usable_from_store(&token("a", T0, 3_600_000), T0 + 10), "the same token: not newer");
        assert!(c.usable_from_store(&token("b", T0 + 5, 3_600_000), T0 + 10), "a newer one");
        // After an API 401 the refused token is never taken back from the store.
        assert_eq!(c.refuse("a", false, T0 + 10), Refusal::Dropped);
        assert!(!c.usable_from_store(&token("a", T0, 3_600_000), T0 + 10));
        assert!(c.usable_from_store(&token("b", T0 + 5, 3_600_000), T0 + 10));
        // Likewise after invalidate().
        let id = c.begin(T0 + 20);
        c.finish(id, Some(token("b", T0 + 5, 3_600_000)));
        c.invalidate();
        assert!(!c.usable_from_store(&token("b", T0 + 5, 3_600_000), T0 + 30));
    }

    proptest! {
        #[test]
        fn leeway_never_hides_more_than_half_a_life(lifetime in 1u64..100_000_000, leeway in 0u64..100_000_000, obtained in 0u64..1u64 << 42) {
            let mut c = TokenCache::new(leeway);
            let id = c.begin(obtained);
            c.finish(id, Some(token("a", obtained, lifetime)));
            let renew = c.renew_at().unwrap();
            prop_assert_eq!(renew, obtained + lifetime - leeway.min(lifetime / 2));
            prop_assert!(renew >= obtained + lifetime - lifetime / 2);
            if lifetime >= 2 {
                prop_assert_eq!(c.state(obtained), State::Fresh);
            }
        }
    }
}
