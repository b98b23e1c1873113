//! The token manager as one deterministic state machine (sans-IO, in the
//! shape of quinn-proto's `Connection`): events in, actions and the next
//! timeout out. It owns every decision about tokens — single flight,
//! joining and abandoning flights, union's refresh grant and its password
//! fallback, the retry budget, backoff, the refresh timer, the shared
//! store's read-before and write-after — and does no I/O, keeps no clock and
//! draws no randomness of its own: every event carries `now` (ms since the
//! epoch, as `Date.now()` gives), and jitter comes from a seeded [`Rng`].
//!
//! # Driving it
//!
//! The shell calls one method per event, then drains [`TokenManager::poll`]
//! and performs each [`Action`], feeding the outcome back as another event;
//! after every call it re-reads [`TokenManager::poll_timeout`] and arranges
//! to call [`TokenManager::timer`] then.
//!
//! | event | method |
//! |---|---|
//! | a caller asks for a token (with or without a `waitUntil`) | [`ask`](TokenManager::ask) → its [`CallerId`] |
//! | a caller gives up (its signal aborted; the shell rejects it) | [`give_up`](TokenManager::give_up) |
//! | a token response arrived | [`token_response`](TokenManager::token_response) |
//! | a token request failed before a response (network, timeout, unsendable) | [`token_request_failed`](TokenManager::token_request_failed) |
//! | the timer fired | [`timer`](TokenManager::timer) |
//! | the store answered a read (hit, miss, failure) | [`store_read`](TokenManager::store_read) |
//! | a store write finished (either way) | [`store_written`](TokenManager::store_written) |
//! | the page became visible or resumed | [`page_visible`](TokenManager::page_visible) |
//! | `invalidate()` | [`invalidate`](TokenManager::invalidate) |
//! | an API refused a token (401) | [`refuse`](TokenManager::refuse) |
//! | `free()` | [`free`](TokenManager::free) |
//!
//! The actions are [`Action`]'s variants: send a token request, read or
//! write the store, resolve or reject callers, publish the token to the JS
//! face (or unpublish it), call `onToken`, report a store error, hold a
//! flight open with a caller's `waitUntil`, and say that a flight ended.
//!
//! # Time
//!
//! Token times (`obtained_at`, `expires_at`) are wall-clock times. Every
//! wait the manager keeps (a retry's pause, a flight's and a caller's
//! bound, the store's bound, the refresh timer) is kept on an internal
//! clock that advances with `now` but never goes back: a wall clock set
//! back an hour does not make a caller wait an hour longer. A clock that
//! jumps forward ends those waits early (a bound ends, it is never
//! exceeded). [`TokenManager::timer`] is level-triggered: it does what is
//! due at `now` and nothing else, so a call that is early, late or repeated
//! is harmless, and every other event first does what has become due.
//!
//! # Invariants
//!
//! Checked after every step by the deterministic simulation
//! (`tests/sim.rs`, `make sim`):
//! - at most one token request is out at a time (union's refresh grant and
//!   its password fallback go in series);
//! - no caller waits while a token outside the leeway is cached, and with
//!   auto-refresh a steady caller never waits;
//! - a failed refresh never drops a token that is still valid;
//! - every caller is settled within [`TokenManager::caller_bound_ms`] of
//!   asking;
//! - after `free()` nothing happens: no action, no timeout;
//! - token request retries and backoff stay within the bounds of
//!   `core::schedule`;
//! - the published token is the cached one while it is fresh, after every
//!   change;
//! - no credential reaches a failure, a store value, a store error or the
//!   `Debug` of any action.

use super::cache::{Next, TokenCache};
use super::config::Config;
use super::dialect::{build_request, Grant, HttpRequest};
use super::error::{ErrorCode, Failure};
use super::headers::{api_headers, ApiHeader};
use super::response::{self, Arrival, Token};
use super::rng::Rng;
use super::schedule::{backoff_delay, timer_delay, token_retry, MAX_TOKEN_RETRIES};
use super::secret::Secret;
use super::store;
use super::Millis;
use core::fmt;
use std::collections::VecDeque;

/// The longest a store call may take before it counts as a miss.
pub const STORE_BOUND_MS: u32 = 1_000;

/// How the client runs, decided by the shell from the options and the runtime.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Hand out a still-valid token within the leeway while its replacement
    /// is fetched (auto-refresh).
    pub background: bool,
    /// Refresh by timer before the token is due (auto-refresh where timers
    /// outlive a request; never in Workers).
    pub timers: bool,
    /// A shared store is configured.
    pub store: bool,
    /// Seeds the jitter of retries, backoff and the store renewal point.
    pub seed: u64,
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u64);
    };
}

id_type!(
    /// One call of `getToken` (or of anything that needs a token).
    CallerId
);
id_type!(
    /// One token acquisition: the store read, token requests, the store write.
    FlightId
);
id_type!(
    /// One token request.
    RequestId
);
id_type!(
    /// One store call.
    StoreOpId
);

/// A token response as the shell received it.
#[derive(Clone, Debug)]
pub struct TokenResponse {
    pub status: u16,
    /// The `Date` header, if the runtime let the shell read it.
    pub date: Option<String>,
    pub retry_after: Option<String>,
    /// Read only by rules to come (an empty 401's reason); may be `None`.
    pub www_authenticate: Option<String>,
    pub body: ResponseBody,
}

/// A token response's body. The one seam between what arrives and the
/// core's reading of it is [`read_response`].
#[derive(Clone)]
pub enum ResponseBody {
    /// At most `MAX_RESPONSE_BYTES + 1` bytes, as read.
    Bytes(Vec<u8>),
    /// Declared longer than the core will read; not read.
    TooLarge,
}

impl fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A body may echo a credential: never shown.
        match self {
            ResponseBody::Bytes(b) => f.debug_tuple("Bytes").field(&b.len()).finish(),
            ResponseBody::TooLarge => f.write_str("TooLarge"),
        }
    }
}

/// Why a token request produced no response. The message is the shell's,
/// free of secrets.
#[derive(Clone, Debug)]
pub enum SendFailure {
    Network(String),
    /// The request's own `timeoutMs` ran out.
    Timeout(String),
    /// It could not be sent as configured (no `fetch`, a header fetch refuses).
    Config(String),
}

/// What a store read gave.
#[derive(Clone, Debug)]
pub enum StoreAnswer {
    /// The stored text, not yet checked.
    Value(String),
    Miss,
    /// The store threw, rejected, or gave something that is not a string;
    /// the shell has reported it (it holds the cause).
    Failed,
}

/// What `tokenInfo()` and `onToken` receive. Never a credential or refresh token.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenInfo {
    pub access_token: Secret,
    pub token_type: String,
    pub expires_at: Millis,
    /// `None` also for a refresh token that never expires.
    pub refresh_expires_at: Option<Millis>,
    pub scope: Option<String>,
}

impl TokenInfo {
    pub fn of(token: &Token) -> Self {
        TokenInfo {
            access_token: token.access_token.clone(),
            token_type: token.token_type.clone(),
            expires_at: token.expires_at,
            refresh_expires_at: token.refresh_expires_at.filter(|t| *t != u64::MAX),
            scope: token.scope.clone(),
        }
    }
}

/// What `client.fetch` may use without asking the wasm.
pub struct Published {
    pub access_token: Secret,
    /// Fresh until then (the renewal point).
    pub until: Millis,
    /// The headers an API call gets with this token.
    pub headers: Vec<ApiHeader<'static>>,
}

impl fmt::Debug for Published {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The Authorization header's value is the token.
        let names: Vec<&str> = self.headers.iter().map(|h| h.name).collect();
        f.debug_struct("Published").field("access_token", &self.access_token).field("until", &self.until).field("headers", &names).finish()
    }
}

/// What the shell must do.
#[derive(Debug)]
pub enum Action {
    /// Send this token request, bounded by `timeout_ms` (body included);
    /// answer with `token_response` or `token_request_failed`.
    SendTokenRequest { request: RequestId, flight: FlightId, http: HttpRequest, timeout_ms: u32 },
    /// Read the store's entry (the key is `core::store::key` of the
    /// digest of `core::store::key_material`); answer with `store_read`.
    /// The manager bounds the call by `bound_ms` itself.
    ReadStore { op: StoreOpId, bound_ms: u32 },
    /// Write `value` with `expirationTtl: ttl_seconds`; answer with `store_written`.
    WriteStore { op: StoreOpId, value: Secret, ttl_seconds: u64, bound_ms: u32 },
    Resolve { caller: CallerId, access_token: Secret },
    Reject { caller: CallerId, failure: Failure },
    /// The JS face's published token: `Some` while one is cached, `None` to
    /// take it back. Emitted after every change.
    Publish(Option<Published>),
    /// Call `onToken` with this.
    OnToken(TokenInfo),
    /// Call `onStoreError` with this message.
    ReportStoreError(&'static str),
    /// `caller` started `flight` and gave a `waitUntil`: hand it a promise
    /// that settles at `FlightEnded(flight)`.
    WaitUntil { caller: CallerId, flight: FlightId },
    FlightEnded(FlightId),
}

/// When to call [`TokenManager::timer`] next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeout {
    /// Wall-clock time, as `Date.now()` gives.
    pub at: Millis,
    /// Only the refresh timer is waiting (no caller, no flight): the shell
    /// arms it so that it never keeps a process alive (unref'd).
    pub background: bool,
}

/// The one place a token response is read: what arrived in, a token or a
/// classified failure out. Redirects and oversized bodies are decided here
/// too. The shell's JSON reading will move behind this seam.
pub fn read_response(config: &Config, response: &TokenResponse, at: Millis, secrets: &[&str]) -> Result<Token, Failure> {
    let status = response.status;
    if status == 0 || (300..400).contains(&status) {
        let mut f = Failure::new(
            ErrorCode::InvalidResponse,
            "token endpoint answered with a redirect, which is not followed: credentials go only to the configured URL (set tokenUrl to the final URL)",
        );
        f.status = (status != 0).then_some(status);
        return Err(f);
    }
    let arrival = Arrival { status, at, date: response.date.as_deref(), retry_after: response.retry_after.as_deref() };
    match &response.body {
        ResponseBody::Bytes(body) => response::parse(config.provider, arrival, body, secrets),
        // Declared over the limit: the parser refuses a body this long.
        ResponseBody::TooLarge => response::parse(config.provider, arrival, &[0; super::MAX_RESPONSE_BYTES + 1], secrets),
    }
}

/// The internal clock: `mono` advances with `now` and never goes back.
#[derive(Clone, Copy, Debug)]
struct Clock {
    wall: Millis,
    mono: Millis,
}

#[derive(Debug)]
enum Step {
    /// Between two steps (never seen outside a method).
    Idle,
    ReadingStore { op: StoreOpId, until: Millis },
    Sending { request: RequestId, http: HttpRequest },
    RetryWait { until: Millis, http: HttpRequest },
    WritingStore { op: StoreOpId, until: Millis, token: Token },
}

#[derive(Debug)]
struct Flight {
    id: FlightId,
    step: Step,
    /// The exchange in progress uses union's refresh grant.
    refreshing: bool,
    /// Retry waits so far in this grant's exchange, and retries.
    waited: u64,
    retries: u32,
}

#[derive(Debug)]
struct Caller {
    id: CallerId,
    wait_until: bool,
    flight: FlightId,
    /// A caller that joined a flight stops waiting for it then, and asks again.
    deadline: Option<Millis>,
    /// The caller gave up: nothing is sent to it any more.
    gone: bool,
}

/// The token manager. See the module docs.
#[derive(Debug)]
pub struct TokenManager {
    config: Config,
    settings: Settings,
    rng: Rng,
    cache: TokenCache,
    flights: Vec<Flight>,
    callers: Vec<Caller>,
    next_id: u64,
    clock: Clock,
    /// The armed refresh (or backoff) timer, on the internal clock.
    refresh_timer: Option<Millis>,
    /// Failed flights in a row, for the backoff.
    failures: u32,
    freed: bool,
    actions: VecDeque<Action>,
}

fn freed_error() -> Failure {
    Failure::new(ErrorCode::InvalidConfig, "this AuthClient has been freed; create a new one")
}

impl TokenManager {
    pub fn new(config: Config, settings: Settings, now: Millis) -> Self {
        let mut rng = Rng::new(settings.seed);
        let mut cache = TokenCache::new(config.leeway_ms);
        if settings.store {
            // Clients sharing a store renew at a random point in the leeway window.
            cache = cache.shared(rng.unit());
        }
        TokenManager {
            config,
            settings,
            rng,
            cache,
            flights: Vec::new(),
            callers: Vec::new(),
            next_id: 0,
            clock: Clock { wall: now, mono: now },
            refresh_timer: None,
            failures: 0,
            freed: false,
            actions: VecDeque::new(),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The longest one flight can take: two grants (union's refresh, then
    /// its password fallback), each up to three attempts of `timeoutMs` plus
    /// `timeoutMs` of waiting between them, plus the store's bounds.
    pub fn flight_bound_ms(&self) -> u64 {
        let per_grant = u64::from(self.config.timeout_ms) * (u64::from(MAX_TOKEN_RETRIES) + 2);
        per_grant * 2 + 3_000
    }

    /// The longest a caller waits before it is settled: the flight it found,
    /// and one more.
    pub fn caller_bound_ms(&self) -> u64 {
        2 * self.flight_bound_ms()
    }

    /// The next action, if any.
    pub fn poll(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When [`TokenManager::timer`] must be called next.
    pub fn poll_timeout(&self) -> Option<Timeout> {
        let callers = self.callers.iter().filter_map(|c| c.deadline);
        let flights = self.flights.iter().filter_map(|f| match &f.step {
            Step::ReadingStore { until, .. } | Step::RetryWait { until, .. } | Step::WritingStore { until, .. } => Some(*until),
            Step::Sending { .. } | Step::Idle => None,
        });
        let busy = !self.flights.is_empty() || self.callers.iter().any(|c| !c.gone);
        let at = callers.chain(flights).chain(self.refresh_timer).min()?;
        Some(Timeout { at: self.to_wall(at), background: !busy })
    }

    /// The cached token, expired or not.
    pub fn token(&self) -> Option<&Token> {
        self.cache.token()
    }

    /// Until when the cached token is handed out without a token request.
    pub fn fresh_until(&self) -> Option<Millis> {
        self.cache.renew_at()
    }

    /// When the refresh timer is armed for (wall clock), if it is.
    pub fn refresh_timer(&self) -> Option<Millis> {
        self.refresh_timer.map(|t| self.to_wall(t))
    }

    pub fn is_freed(&self) -> bool {
        self.freed
    }

    /// `tokenInfo()` for `access` if it is still the cached token.
    pub fn info_for(&self, access: &str) -> Option<TokenInfo> {
        self.cache.token().filter(|t| t.access_token.expose() == access).map(TokenInfo::of)
    }

    /// The headers an API call gets with `access`.
    pub fn api_headers(&self, access: &str) -> Vec<ApiHeader<'static>> {
        owned_headers(&self.config, access)
    }

    // ----- events -----

    /// A caller wants a token. `wait_until`: it can keep a flight it starts
    /// alive after its own request ends (a Workers `ctx.waitUntil`).
    pub fn ask(&mut self, now: Millis, wait_until: bool) -> CallerId {
        self.advance(now);
        let id = CallerId(self.fresh_id());
        if self.freed {
            self.actions.push_back(Action::Reject { caller: id, failure: freed_error() });
            return id;
        }
        self.place(id, wait_until);
        id
    }

    /// The caller's signal aborted; the shell rejects it with the signal's
    /// reason. Flights go on for the others.
    pub fn give_up(&mut self, now: Millis, caller: CallerId) {
        self.advance(now);
        if let Some(c) = self.callers.iter_mut().find(|c| c.id == caller) {
            c.gone = true;
        }
    }

    pub fn token_response(&mut self, now: Millis, request: RequestId, response: TokenResponse) {
        self.advance(now);
        let Some(fi) = self.flights.iter().position(|f| matches!(&f.step, Step::Sending { request: r, .. } if *r == request)) else { return };
        let secrets_owned = self.redaction_secrets();
        let secrets: Vec<&str> = secrets_owned.iter().map(|s| s.expose()).collect();
        let result = read_response(&self.config, &response, self.clock.wall, &secrets);
        self.after_exchange(fi, result);
    }

    pub fn token_request_failed(&mut self, now: Millis, request: RequestId, failure: SendFailure) {
        self.advance(now);
        let Some(fi) = self.flights.iter().position(|f| matches!(&f.step, Step::Sending { request: r, .. } if *r == request)) else { return };
        let failure = match failure {
            SendFailure::Network(m) => Failure::new(ErrorCode::Network, m),
            SendFailure::Timeout(m) => Failure::new(ErrorCode::Timeout, m),
            SendFailure::Config(m) => Failure::new(ErrorCode::InvalidConfig, m),
        };
        self.after_exchange(fi, Err(failure));
    }

    pub fn store_read(&mut self, now: Millis, op: StoreOpId, answer: StoreAnswer) {
        self.advance(now);
        let Some(fi) = self.flights.iter().position(|f| matches!(&f.step, Step::ReadingStore { op: o, .. } if *o == op)) else { return };
        self.after_store_read(fi, answer);
    }

    pub fn store_written(&mut self, now: Millis, op: StoreOpId) {
        self.advance(now);
        let Some(fi) = self.flights.iter().position(|f| matches!(&f.step, Step::WritingStore { op: o, .. } if *o == op)) else { return };
        self.after_store_write(fi);
    }

    /// Does what is due at `now`.
    pub fn timer(&mut self, now: Millis) {
        self.advance(now);
    }

    /// A page became visible or resumed: throttled timers may have fired late.
    pub fn page_visible(&mut self, now: Millis) {
        self.advance(now);
        if self.settings.timers {
            self.on_refresh_timer();
        }
    }

    pub fn invalidate(&mut self, now: Millis) {
        self.advance(now);
        self.cache.invalidate();
        self.refresh_timer = None;
        self.failures = 0;
        self.publish();
    }

    /// An API answered a call made with `access` with a 401: drop it, unless
    /// it has already been replaced.
    pub fn refuse(&mut self, now: Millis, access: &str) {
        self.advance(now);
        if self.cache.invalidate_token(access) {
            self.publish();
        }
    }

    pub fn free(&mut self, now: Millis) {
        self.advance(now);
        self.freed = true;
        self.cache.invalidate();
        self.refresh_timer = None;
        self.publish();
    }

    // ----- internals -----

    fn fresh_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn to_wall(&self, mono: Millis) -> Millis {
        if mono >= self.clock.mono {
            self.clock.wall.saturating_add(mono - self.clock.mono)
        } else {
            self.clock.wall.saturating_sub(self.clock.mono - mono)
        }
    }

    /// Moves the clocks to `now` and does everything that has become due.
    fn advance(&mut self, now: Millis) {
        self.clock.mono += now.saturating_sub(self.clock.wall);
        self.clock.wall = now;
        // Each round does the earliest due item; what it starts is due later
        // or is picked up by a later round.
        for _ in 0..10_000 {
            if !self.do_next_due() {
                return;
            }
        }
    }

    fn do_next_due(&mut self) -> bool {
        let mono = self.clock.mono;
        enum Due {
            Caller(usize),
            Flight(usize),
            Refresh,
        }
        let mut best: Option<(Millis, Due)> = None;
        let mut consider = |at: Millis, due: Due| {
            if at <= mono && best.as_ref().is_none_or(|(b, _)| at < *b) {
                best = Some((at, due));
            }
        };
        for (i, c) in self.callers.iter().enumerate() {
            if let Some(d) = c.deadline {
                consider(d, Due::Caller(i));
            }
        }
        for (i, f) in self.flights.iter().enumerate() {
            match &f.step {
                Step::ReadingStore { until, .. } | Step::RetryWait { until, .. } | Step::WritingStore { until, .. } => consider(*until, Due::Flight(i)),
                Step::Sending { .. } | Step::Idle => {}
            }
        }
        if let Some(t) = self.refresh_timer {
            consider(t, Due::Refresh);
        }
        match best {
            None => false,
            Some((_, Due::Caller(i))) => {
                // The flight it joined outlived its bound: ask again.
                let c = self.callers.remove(i);
                if self.freed {
                    if !c.gone {
                        self.actions.push_back(Action::Reject { caller: c.id, failure: freed_error() });
                    }
                } else {
                    self.place_caller(c.id, c.wait_until, c.gone);
                }
                true
            }
            Some((_, Due::Flight(i))) => {
                match core::mem::replace(&mut self.flights[i].step, Step::Idle) {
                    Step::ReadingStore { .. } => {
                        self.actions.push_back(Action::ReportStoreError("get timed out"));
                        self.send_grant(i, false);
                    }
                    Step::RetryWait { http, .. } => self.send(i, http),
                    Step::WritingStore { token, .. } => {
                        self.actions.push_back(Action::ReportStoreError("put timed out"));
                        self.finish(i, Ok(token));
                    }
                    Step::Sending { .. } | Step::Idle => {}
                }
                true
            }
            Some((_, Due::Refresh)) => {
                self.refresh_timer = None;
                self.on_refresh_timer();
                true
            }
        }
    }

    fn place(&mut self, id: CallerId, wait_until: bool) {
        self.place_caller(id, wait_until, false);
    }

    /// Serves a caller from the cache, or attaches it to a flight.
    fn place_caller(&mut self, id: CallerId, wait_until: bool, gone: bool) {
        let wall = self.clock.wall;
        let next = self.cache.next(wall, self.flight_bound_ms(), self.settings.background);
        let join = match next {
            Next::Use => {
                if let Some(t) = self.cache.valid(wall) {
                    if !gone {
                        self.actions.push_back(Action::Resolve { caller: id, access_token: t.access_token.clone() });
                    }
                    return;
                }
                None
            }
            Next::Join(f) => self.flights.iter().any(|fl| fl.id.0 == f).then_some(FlightId(f)),
            Next::Start => None,
        };
        match join {
            Some(flight) => {
                let deadline = Some(self.clock.mono + self.flight_bound_ms());
                self.callers.push(Caller { id, wait_until, flight, deadline, gone });
            }
            None => {
                let flight = self.start_flight();
                self.callers.push(Caller { id, wait_until, flight, deadline: None, gone });
                if wait_until && !gone {
                    self.actions.push_back(Action::WaitUntil { caller: id, flight });
                }
                self.begin_flight(flight);
            }
        }
    }

    fn start_flight(&mut self) -> FlightId {
        let id = FlightId(self.cache.begin(self.clock.wall));
        self.flights.push(Flight { id, step: Step::Idle, refreshing: false, waited: 0, retries: 0 });
        id
    }

    /// The flight's first step: read the store, or ask the vendor.
    fn begin_flight(&mut self, flight: FlightId) {
        let Some(i) = self.flights.iter().position(|f| f.id == flight) else { return };
        if self.settings.store {
            let op = StoreOpId(self.fresh_id());
            let bound = self.store_bound();
            self.flights[i].step = Step::ReadingStore { op, until: self.clock.mono + u64::from(bound) };
            self.actions.push_back(Action::ReadStore { op, bound_ms: bound });
        } else {
            self.send_grant(i, false);
        }
    }

    fn store_bound(&self) -> u32 {
        STORE_BOUND_MS.min(self.config.timeout_ms)
    }

    /// Starts an exchange: union's refresh grant while its refresh token
    /// lasts, the credentials otherwise or as the refresh grant's fallback.
    fn send_grant(&mut self, i: usize, fallback: bool) {
        let grant = if fallback { Grant::Credentials } else { self.cache.grant(self.clock.wall) };
        let (http, refreshing) = (build_request(&self.config, grant), matches!(grant, Grant::Refresh(_)));
        let f = &mut self.flights[i];
        f.refreshing = refreshing;
        f.waited = 0;
        f.retries = 0;
        self.send(i, http);
    }

    fn send(&mut self, i: usize, http: HttpRequest) {
        let request = RequestId(self.fresh_id());
        let flight = self.flights[i].id;
        self.actions.push_back(Action::SendTokenRequest { request, flight, http: http.clone(), timeout_ms: self.config.timeout_ms });
        self.flights[i].step = Step::Sending { request, http };
    }

    /// What a vendor message must not show: the credentials and the tokens
    /// the client holds.
    fn redaction_secrets(&self) -> Vec<Secret> {
        let mut out: Vec<Secret> = self.config.credentials.secrets().into_iter().map(Secret::new).collect();
        if let Some(t) = self.cache.token() {
            out.push(t.access_token.clone());
            if let Some(rt) = &t.refresh_token {
                out.push(rt.clone());
            }
        }
        out
    }

    fn after_exchange(&mut self, i: usize, result: Result<Token, Failure>) {
        match result {
            Ok(token) => {
                if self.settings.store {
                    self.write_store(i, token);
                } else {
                    self.finish(i, Ok(token));
                }
            }
            Err(failure) => {
                let http = match core::mem::replace(&mut self.flights[i].step, Step::Idle) {
                    Step::Sending { http, .. } => http,
                    _ => return,
                };
                let f = &self.flights[i];
                let budget = u64::from(self.config.timeout_ms).saturating_sub(f.waited);
                let jitter = self.rng.unit();
                match token_retry(&failure, f.retries, jitter, budget) {
                    Some(wait) => {
                        let until = self.clock.mono + wait;
                        let f = &mut self.flights[i];
                        f.waited += wait;
                        f.retries += 1;
                        f.step = Step::RetryWait { until, http };
                    }
                    None if f.refreshing && matches!(failure.status, Some(400 | 401)) => {
                        // The refresh token was refused: the password grant.
                        self.cache.drop_refresh_token();
                        self.send_grant(i, true);
                    }
                    None => self.finish(i, Err(failure)),
                }
            }
        }
    }

    fn after_store_read(&mut self, i: usize, answer: StoreAnswer) {
        if let StoreAnswer::Value(text) = answer {
            match store::decode(&text) {
                Ok(token) if self.cache.usable_from_store(&token, self.clock.wall) => return self.finish(i, Ok(token)),
                Ok(_) => {}
                Err(why) => self.actions.push_back(Action::ReportStoreError(why)),
            }
        }
        self.send_grant(i, false);
    }

    fn write_store(&mut self, i: usize, token: Token) {
        let Some(value) = store::encode(&token) else {
            self.actions.push_back(Action::ReportStoreError("token too large to share (over 64 KiB); not written"));
            return self.finish(i, Ok(token));
        };
        let op = StoreOpId(self.fresh_id());
        let bound = self.store_bound();
        let ttl_seconds = store::expiration_ttl(&token, self.clock.wall);
        self.actions.push_back(Action::WriteStore { op, value, ttl_seconds, bound_ms: bound });
        self.flights[i].step = Step::WritingStore { op, until: self.clock.mono + u64::from(bound), token };
    }

    fn after_store_write(&mut self, i: usize) {
        if let Step::WritingStore { token, .. } = core::mem::replace(&mut self.flights[i].step, Step::Idle) {
            self.finish(i, Ok(token));
        }
    }

    /// The end of a flight: record the outcome, tell the JS face, arm the
    /// timer, call `onToken`, settle the flight's callers.
    fn finish(&mut self, i: usize, result: Result<Token, Failure>) {
        let flight = self.flights.remove(i);
        let id = flight.id;
        match result {
            Ok(token) => {
                let access = token.access_token.clone();
                let info = TokenInfo::of(&token);
                self.cache.finish(id.0, Some(token));
                if self.settings.store {
                    // A new renewal point for every token: two clients that
                    // drew close ones once do not collide at every renewal after.
                    let jitter = self.rng.unit();
                    self.cache.set_jitter(jitter);
                }
                self.publish();
                self.schedule_after_flight(None);
                self.actions.push_back(Action::OnToken(info));
                self.settle(id, |caller| Action::Resolve { caller, access_token: access.clone() });
            }
            Err(failure) => {
                self.cache.finish(id.0, None);
                self.schedule_after_flight(Some(&failure));
                self.settle(id, |caller| Action::Reject { caller, failure: failure.clone() });
            }
        }
        self.actions.push_back(Action::FlightEnded(id));
    }

    fn settle(&mut self, flight: FlightId, action: impl Fn(CallerId) -> Action) {
        let mut kept = Vec::with_capacity(self.callers.len());
        for c in core::mem::take(&mut self.callers) {
            if c.flight == flight {
                if !c.gone {
                    self.actions.push_back(action(c.id));
                }
            } else {
                kept.push(c);
            }
        }
        self.callers = kept;
    }

    fn publish(&mut self) {
        let published = match (self.cache.token(), self.cache.renew_at()) {
            (Some(t), Some(until)) if !self.freed => {
                Some(Published { access_token: t.access_token.clone(), until, headers: owned_headers(&self.config, t.access_token.expose()) })
            }
            _ => None,
        };
        self.actions.push_back(Action::Publish(published));
    }

    /// After a flight: arm the timer for the next refresh, or for a retry
    /// with backoff while the current token is still valid. With no valid
    /// token the callers drive again (a background loop must not hammer a
    /// vendor that refuses the credentials).
    fn schedule_after_flight(&mut self, failed: Option<&Failure>) {
        if !self.settings.timers || self.freed {
            return;
        }
        let wall = self.clock.wall;
        let delay = match failed {
            None => {
                self.failures = 0;
                self.cache.token().map(|t| timer_delay(self.cache.timer_at().unwrap_or(t.expires_at), t.obtained_at, t.expires_at, wall))
            }
            Some(f) => {
                let attempt = self.failures;
                self.failures = self.failures.saturating_add(1);
                let jitter = self.rng.unit();
                let valid_for = self.cache.valid(wall).map(|t| t.expires_at - wall);
                valid_for.map(|left| backoff_delay(attempt, jitter, f.retry_after_ms).min(left))
            }
        };
        self.refresh_timer = delay.map(|ms| self.clock.mono + ms);
    }

    /// The refresh timer fired (or a page became visible): refresh if due,
    /// else re-arm for the rest of the wait.
    fn on_refresh_timer(&mut self) {
        if self.freed {
            return;
        }
        let wall = self.clock.wall;
        let (due, idle, wait) = match (self.cache.token(), self.cache.timer_at()) {
            (Some(t), Some(at)) => (at <= wall, !self.cache.is_acquiring(), timer_delay(at, t.obtained_at, t.expires_at, wall)),
            _ => return,
        };
        if due && idle {
            let flight = self.start_flight();
            self.begin_flight(flight);
        } else if !due {
            self.refresh_timer = Some(self.clock.mono + wait);
        }
    }
}

fn owned_headers(config: &Config, access: &str) -> Vec<ApiHeader<'static>> {
    api_headers(config, access)
        .into_iter()
        .map(|h| ApiHeader { name: h.name, value: std::borrow::Cow::Owned(h.value.into_owned()), replace: h.replace })
        .collect()
}
