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
//! | the shell signed an assertion (or could not) | [`signed`](TokenManager::signed) |
//! | the timer fired | [`timer`](TokenManager::timer) |
//! | the store answered a read (hit, miss, failure) | [`store_read`](TokenManager::store_read) |
//! | a store write finished (either way) | [`store_written`](TokenManager::store_written) |
//! | the store answered a lease request | [`lease_answer`](TokenManager::lease_answer) |
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
//! # Rules worth knowing when wiring it
//!
//! - `invalidate()` during a flight: the flight's token is not used
//!   (nobody receives a token asked for before it); a request already out
//!   is let finish, then the flight starts again for the callers waiting.
//! - An answer to a request given up on (its flight abandoned) is read
//!   with the secrets of when it was sent; its token is kept only if it
//!   outlives the cached one, never after an `invalidate()`.
//! - With a store, the vendor's token is written after it arrives. Where
//!   timers run, callers get it at once and `FlightEnded` waits for the
//!   write; without timers (Workers) callers are settled after the write
//!   (bounded by [`STORE_BOUND_MS`]), so that it happens within their request.
//! - `WaitUntil` names the caller that started a flight, or, for a flight
//!   started again, every waiting caller that gave a `waitUntil`.
//! - `give_up` only forgets the caller; the shell rejects it.
//! - oauth2's format detection (`core::dialect::Detection`) is the
//!   manager's, for the client's life: after a failed exchange
//!   `core::attempts` says whether to resend at once in another format,
//!   retry after a wait, or give up (then union's refresh grant falls back
//!   to the password grant after a 400 or 401); a grant sends at most
//!   `MAX_TOKEN_REQUESTS` requests. A token settles the format.
//! - `deadlineMs` (docs/API.md §4): a flight's work (store calls,
//!   attempts, retry waits) is cut to `deadlineMs` after it started, and a
//!   caller is settled by `deadlineMs` and a moment after it asked
//!   (`schedule::DEADLINE_GRACE_MS`), with `timeout` naming `deadlineMs`.
//! - A token request's deadline is the manager's: at its attempt's timeout
//!   it asks for `AbortTokenRequest`, and a moment later
//!   ([`ABORT_GRACE_MS`]) counts it as timed out even if its `fetch`
//!   ignores the abort (an answer that still comes is a late one).
//! - `refuse(now, access, accepted)` returns whether the call is worth
//!   sending again: a token that replaced a refused one moments ago and was
//!   never accepted is kept (`cache::REFUSAL_WINDOW_MS`); a refused token
//!   that came from the store makes the next flight skip `ReadStore`.
//! - The refresh timer stops after `cache::MAX_IDLE_RENEWALS` renewals
//!   with no caller; callers are `ask`s and the shell's
//!   `published_used()` (calls served from the published token).
//! - Store values are bound to the key the shell hashed (`set_store_key`);
//!   a write needs it (it follows a read that set it).
//! - A client that signs (`Config::signs`: `private_key_jwt`,
//!   `client_secret_jwt`, Google) asks for `Sign` before every token
//!   request, a resend and a retry included, with a fresh `jti` from its
//!   `Rng` and `iat` from `now`; the request goes out when `signed` brings
//!   the signature. A signing failure ends the flight with `invalid_config`
//!   naming the key's option (not retried); a signature that does not come
//!   within the attempt's timeout ends it with `timeout`.
//! - After `free()` every event is ignored and `ask` is rejected at once.
//!
//! - A store with a lease (docs/API.md §7.1: `lease(key, ttlMs, boundMs)`; the
//!   Durable Object broker, the Deno KV and the Redis stores have one): a
//!   flight whose store read finds no usable token asks for the lease
//!   (`AcquireLease`). Granted, or the lease call failed or timed out
//!   (reported): it sends its token request as without a lease, and writes
//!   the token. Held by another client: it waits ([`LEASE_POLL_MS`]
//!   between store reads, bounded by `timeoutMs` plus [`STORE_BOUND_MS`],
//!   within `deadlineMs`) for a token newer than the one it has; one that
//!   appears is taken (no token request); at the bound it reports to
//!   `onStoreError` and sends its own. The manager never releases a
//!   lease: the store's write of the token ends it, or it expires after
//!   `ttl_ms` (the same bound), so a holder that dies or hangs holds
//!   nobody up past the bound. A store without a lease is read and
//!   written exactly as before.
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
//! (`tests/sim/`, `make sim`; docs/TESTING.md lists every check):
//! - at most one token request is out at a time (union's refresh grant and
//!   its password fallback go in series);
//! - no caller waits while a token outside the leeway is cached, and with
//!   auto-refresh a steady caller never waits;
//! - a failed refresh never drops a token that is still valid;
//! - every flight ends within [`TokenManager::flight_bound_ms`] (then it is
//!   abandoned: its answer may never come) and every caller is settled
//!   within [`TokenManager::caller_bound_ms`] of asking (then it is
//!   rejected with `timeout`);
//! - after `free()` nothing happens: no action, no timeout;
//! - token request retries and backoff stay within the bounds of
//!   `core::schedule`;
//! - the published token is the cached one while it is fresh, after every
//!   change;
//! - no credential reaches a failure, a store value, a store error or the
//!   `Debug` of any action.

use super::cache::{Next, TokenCache};
use super::config::Config;
use super::dialect::{Detection, Grant, HttpRequest};
use super::error::{ErrorCode, Failure};
use super::headers::{api_headers, ApiHeader};
use super::response::{self, Arrival, Token};
use super::rng::Rng;
use super::attempts;
use super::schedule::{attempt_timeout, retry_budget, retry_timer_delay, timer_delay, DEADLINE_GRACE_MS};
use super::secret::Secret;
use super::store;
use super::Millis;
use core::fmt;

/// The longest a store call may take before it counts as a miss.
pub const STORE_BOUND_MS: u32 = 1_000;

/// While another client holds the store's lease, the store is read again
/// this often for the token it will write.
pub const LEASE_POLL_MS: u64 = 25;

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
    /// The store has a lease (`lease(key, ttlMs, boundMs)`, docs/API.md §7.1).
    pub lease: bool,
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
id_type!(
    /// One signature of an assertion.
    SignId
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

/// What a lease request gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaseAnswer {
    /// This client holds the lease now: it asks the vendor.
    Granted,
    /// Another client holds it: wait for its token.
    Held,
    /// The call threw or rejected; the shell has reported it.
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

/// What `client.fetch` may use without asking the wasm; the headers an
/// API call gets with it are [`TokenManager::api_headers`].
#[derive(Debug)]
pub struct Published {
    pub access_token: Secret,
    /// Fresh until then (the renewal point).
    pub until: Millis,
}

/// What the shell must do.
#[derive(Debug)]
pub enum Action {
    /// Send this token request; answer with `token_response` or
    /// `token_request_failed`. Its deadline (`timeout_ms`, body included)
    /// is the manager's: then it asks for `AbortTokenRequest`.
    SendTokenRequest { request: RequestId, flight: FlightId, http: HttpRequest, timeout_ms: u32 },
    /// The request's deadline has passed: abort it, and answer with
    /// `token_request_failed` and a `SendFailure::Timeout` (a fetch that
    /// ignores its signal may never answer: the flight's bound covers that).
    AbortTokenRequest(RequestId),
    /// Sign `input` (the JWS signing input of a fresh assertion) with the
    /// client's key (`Credentials::signing_key`, imported once); answer with
    /// `signed`. Every token request of a client that signs is preceded by
    /// one: an assertion is never sent twice.
    Sign { op: SignId, input: String },
    /// Read the store's entry (the key is `core::store::key` of the
    /// digest of `core::store::key_material`); answer with `store_read`.
    /// The manager bounds the call by `bound_ms` itself.
    ReadStore { op: StoreOpId, flight: FlightId, bound_ms: u32 },
    /// Ask the store for its lease on the key for `ttl_ms`; answer with
    /// `lease_answer` (the manager bounds the call by `bound_ms`).
    AcquireLease { op: StoreOpId, flight: FlightId, ttl_ms: u32, bound_ms: u32 },
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
/// `endpoint` is the URL the request went to (messages name it).
pub fn read_response(config: &Config, endpoint: &str, response: &TokenResponse, at: Millis, secrets: &[&str]) -> Result<Token, Failure> {
    let status = response.status;
    if status == 0 || (300..400).contains(&status) {
        let mut f = Failure::new(
            ErrorCode::InvalidResponse,
            super::text::concat(&[
                "token endpoint ",
                response::shown_endpoint(endpoint),
                " answered with a redirect, which is not followed: credentials go only to the configured URL (set tokenUrl to the final URL)",
            ]),
        );
        f.status = (status != 0).then_some(status);
        return Err(f);
    }
    let arrival = Arrival {
        status,
        at,
        date: response.date.as_deref(),
        retry_after: response.retry_after.as_deref(),
        www_authenticate: response.www_authenticate.as_deref(),
    };
    match &response.body {
        ResponseBody::Bytes(body) => response::parse(config.provider, endpoint, arrival, body, secrets),
        // Declared over the limit: the parser refuses a body this long.
        // (A heap buffer, not a static one: a static would add 1 MiB to the wasm memory.)
        ResponseBody::TooLarge => response::parse(config.provider, endpoint, arrival, &vec![0; super::MAX_RESPONSE_BYTES + 1], secrets),
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
    /// A lease request is out.
    Leasing { op: StoreOpId, until: Millis },
    /// Another client holds the lease: the store is read every
    /// `LEASE_POLL_MS` (`reading`: a read is out, given up on at
    /// `poll_at`) until its token is there or `until`, when this client
    /// sends its own request.
    LeaseWait { until: Millis, poll_at: Millis, reading: Option<StoreOpId> },
    Sending { request: RequestId, http: HttpRequest, until: Millis, aborted: bool },
    RetryWait { until: Millis, http: HttpRequest },
    /// The assertion is being signed; the token request goes out with it.
    Signing { op: SignId, input: String, until: Millis },
    /// The token has arrived and callers have it; the store write goes on.
    WritingStore { op: StoreOpId, until: Millis },
}

#[derive(Debug)]
struct Flight {
    id: FlightId,
    step: Step,
    /// Abandoned then: no flight legitimately takes longer.
    deadline: Millis,
    /// Its work (store calls, attempts, retry waits) ends by then:
    /// `deadlineMs` after it started (docs/API.md §4).
    work_deadline: Millis,
    /// The last attempt's timeout (cut to the deadline, it may be under `timeoutMs`).
    attempt_ms: u32,
    /// The exchange in progress uses union's refresh grant.
    refreshing: bool,
    /// The refresh token that exchange sent: an echo of it is redacted
    /// even once the cache no longer holds it.
    sent_refresh: Option<Secret>,
    /// Retry waits so far in this grant's exchange, and the requests it sent.
    waited: u64,
    sent: u32,
    /// `invalidate()` came after the flight began: what it gets is not
    /// used, and once its request is answered it starts again for the
    /// callers waiting.
    superseded: bool,
    /// The token it got, held until the store write finishes where the
    /// callers must wait for it (no timers: the write must happen within
    /// their request).
    holding: Option<Token>,
    /// Its token came from the store (an API refusing it makes the next
    /// flight skip the store).
    from_store: bool,
    /// The assertion its last request carried (redacted from what the
    /// server answers, like any credential).
    assertion: Option<Secret>,
}

#[derive(Debug)]
struct Caller {
    id: CallerId,
    wait_until: bool,
    /// Rejected with a timeout then, whatever the flights do.
    deadline: Millis,
}

/// A token request given up on (its flight outlived its bound or was
/// superseded): an answer that still arrives is read with what was
/// redacted then, and its token is kept only if it is worth keeping.
#[derive(Debug)]
struct LateRequest {
    request: RequestId,
    sent_refresh: Option<Secret>,
    /// `invalidate()` calls before it was sent.
    epoch: u64,
    /// Its deadline still holds: aborted then, like any request.
    until: Millis,
    aborted: bool,
}

/// `late.remove(i)`, in order, without `Vec::remove`'s panic path: its
/// message formats the index, which alone keeps core's integer formatting
/// in the wasm.
fn take_late(late: &mut Vec<LateRequest>, i: usize) -> Option<LateRequest> {
    // Moved to the end, the others keeping their order, then popped.
    let tail = late.get_mut(i..).filter(|t| !t.is_empty())?;
    for j in 1..tail.len() {
        tail.swap(j - 1, j);
    }
    late.pop()
}

/// The actions not yet polled, oldest first (a `Vec` and a cursor: smaller
/// in the wasm than a `VecDeque`).
#[derive(Debug)]
struct Queue<T> {
    items: Vec<Option<T>>,
    next: usize,
}

impl<T> Default for Queue<T> {
    fn default() -> Self {
        Queue { items: Vec::new(), next: 0 }
    }
}

impl<T> Queue<T> {
    fn push_back(&mut self, item: T) {
        self.items.push(Some(item));
    }

    fn pop_front(&mut self) -> Option<T> {
        let item = self.items.get_mut(self.next).and_then(Option::take);
        if item.is_some() {
            self.next += 1;
        } else {
            self.items.clear();
            self.next = 0;
        }
        item
    }
}

/// How many given-up requests are remembered.
const LATE_REQUESTS: usize = 4;

/// The token manager. See the module docs.
#[derive(Debug)]
pub struct TokenManager {
    config: Config,
    settings: Settings,
    rng: Rng,
    cache: TokenCache,
    /// The credentials' `id:secret` pairs, as an HTTP Basic header carries them (redacted too).
    basic_pairs: Vec<Secret>,
    /// How token requests are sent, and what the oauth2 dialect has learnt
    /// of the server: kept for the client's life (`core::dialect::Detection`).
    detection: Detection,
    /// The one flight: at most one acquisition, and so at most one token
    /// request, at a time.
    flight: Option<Flight>,
    /// A flight whose token is out and whose store write goes on (no
    /// token request: the next flight may start meanwhile).
    writing: Option<Flight>,
    /// Callers waiting for a token, oldest first.
    callers: Vec<Caller>,
    late: Vec<LateRequest>,
    next_id: u64,
    clock: Clock,
    /// The armed refresh (or backoff) timer, on the internal clock.
    refresh_timer: Option<Millis>,
    /// Failed flights in a row, for the backoff.
    failures: u32,
    /// `invalidate()` calls so far.
    epoch: u64,
    freed: bool,
    actions: Queue<Action>,
    /// The shared store's key (the shell hashes `store::key_material`):
    /// values are bound to it (docs/API.md §7). Empty until the shell sets it.
    store_key: String,
}

/// What is waited for (see `TokenManager::next_due`).
#[derive(Clone, Copy, Debug)]
enum Due {
    Caller,
    Step,
    /// A given-up request's deadline.
    LateDeadline,
    FlightBound,
    Write,
    Refresh,
}

fn freed_error() -> Failure {
    Failure::new(ErrorCode::InvalidConfig, "this AuthClient has been freed; create a new one")
}

/// How long after its deadline an aborted request is given up on, if its
/// `fetch` does not stop (it ignores the signal).
pub const ABORT_GRACE_MS: u64 = DEADLINE_GRACE_MS;

fn waited_too_long(ms: u64) -> Failure {
    let mut m = String::from("no token within ");
    super::text::push_u64(&mut m, ms);
    m.push_str(" ms: the token endpoint did not answer in time (timeoutMs bounds each attempt)");
    Failure::new(ErrorCode::Timeout, m)
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
            detection: config.detection(),
            basic_pairs: config.credentials.basic_pairs(),
            config,
            settings,
            rng,
            cache,
            flight: None,
            writing: None,
            callers: Vec::new(),
            late: Vec::new(),
            next_id: 0,
            clock: Clock { wall: now, mono: now },
            refresh_timer: None,
            failures: 0,
            epoch: 0,
            freed: false,
            actions: Queue::default(),
            store_key: String::new(),
        }
    }

    /// The shell has hashed the store key: stored values are written and
    /// read bound to it.
    pub fn set_store_key(&mut self, key: String) {
        self.store_key = key;
    }

    pub fn store_key(&self) -> &str {
        &self.store_key
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The longest one flight can take: its work ends by `deadlineMs`
    /// after it started (store calls, attempts and waits are cut to it), and
    /// a moment more lets its own error come first. A flight still going
    /// then is abandoned (its answer may never come: in workerd, a promise
    /// made by a request that has ended never settles).
    pub fn flight_bound_ms(&self) -> u64 {
        u64::from(self.config.deadline_ms) + DEADLINE_GRACE_MS
    }

    /// The longest a caller waits before it is settled (docs/API.md §4:
    /// `deadlineMs`, and the same moment). Past it the caller is rejected
    /// with `timeout`.
    pub fn caller_bound_ms(&self) -> u64 {
        u64::from(self.config.deadline_ms) + DEADLINE_GRACE_MS
    }

    /// `timeout`: `deadlineMs` ran out during `what`.
    fn deadline_failure(&self, what: &str) -> Failure {
        let mut message = String::from(what);
        message.push_str(" ran out of deadlineMs (");
        super::text::push_u64(&mut message, self.config.deadline_ms.into());
        message.push_str(" ms for one getToken(), every attempt, retry and wait included)");
        Failure::new(ErrorCode::Timeout, message)
    }

    /// The next action, if any.
    pub fn poll(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When [`TokenManager::timer`] must be called next.
    pub fn poll_timeout(&self) -> Option<Timeout> {
        if self.freed {
            return None;
        }
        let (at, _) = self.next_due()?;
        let busy = self.flight.is_some() || self.writing.is_some() || !self.callers.is_empty();
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
    pub fn api_headers(&self, access: &str) -> Vec<ApiHeader<'_>> {
        api_headers(&self.config, access)
    }

    // ----- events -----

    /// A caller wants a token. `wait_until`: it can keep a flight it starts
    /// alive after its own request ends (a Workers `ctx.waitUntil`).
    pub fn ask(&mut self, now: Millis, wait_until: bool) -> CallerId {
        let id = CallerId(self.fresh_id());
        if self.freed {
            self.actions.push_back(Action::Reject { caller: id, failure: freed_error() });
            return id;
        }
        self.advance(now);
        self.cache.caller_seen();
        let wall = self.clock.wall;
        if let (Next::Use, Some(t)) = (self.cache.next(wall, u64::MAX, self.settings.background), self.cache.valid(wall)) {
            self.actions.push_back(Action::Resolve { caller: id, access_token: t.access_token.clone() });
            return id;
        }
        self.callers.push(Caller { id, wait_until, deadline: self.clock.mono + self.caller_bound_ms() });
        if self.flight.is_none() {
            self.start_flight(Some(id));
        }
        id
    }

    /// The caller's signal aborted; the shell rejects it with the signal's
    /// reason. The flight goes on for the others.
    pub fn give_up(&mut self, now: Millis, caller: CallerId) {
        if self.freed {
            return;
        }
        self.callers.retain(|c| c.id != caller);
        self.advance(now);
    }

    pub fn token_response(&mut self, now: Millis, request: RequestId, mut response: TokenResponse) {
        if self.freed {
            return;
        }
        self.advance(now);
        let wall = self.clock.wall;
        match self.flight.as_ref() {
            Some(f) if matches!(&f.step, Step::Sending { request: r, .. } if *r == request) => {
                let endpoint = match &f.step {
                    Step::Sending { http, .. } => http.url.as_str(),
                    _ => self.config.token_url.as_str(),
                };
                let result = read_response(&self.config, endpoint, &response, wall, &self.redaction_secrets(f.sent_refresh.as_ref()));
                self.after_exchange(result);
            }
            _ => self.late_response(request, &response),
        }
        // The body may hold tokens: not left in memory (docs/API.md §8).
        if let ResponseBody::Bytes(bytes) = &mut response.body {
            super::secret::wipe_bytes(bytes);
        }
        self.serve_waiters();
    }

    pub fn token_request_failed(&mut self, now: Millis, request: RequestId, failure: SendFailure) {
        if self.freed {
            return;
        }
        self.advance(now);
        let http = match &self.flight {
            Some(Flight { step: Step::Sending { request: out, http, .. }, .. }) if *out == request => http,
            _ => {
                // A given-up request's failure changes nothing.
                self.late.retain(|l| l.request != request);
                return;
            }
        };
        let (code, message) = match failure {
            SendFailure::Network(m) => (ErrorCode::Network, m),
            SendFailure::Timeout(m) => (ErrorCode::Timeout, m),
            SendFailure::Config(m) => (ErrorCode::InvalidConfig, m),
        };
        // Named like a response's failure (docs/API.md §5); a custom fetch's
        // error may quote the request.
        let message = self.safe_message(&message, &[]);
        let failure = Failure::new(code, super::text::concat(&[&message, " (token endpoint ", response::shown_endpoint(&http.url), ")"]));
        self.after_exchange(Err(failure));
        self.serve_waiters();
    }

    /// The shell signed (or could not sign: its message, free of secrets)
    /// the assertion of `Action::Sign`. A signature that comes after its
    /// flight moved on is ignored.
    pub fn signed(&mut self, now: Millis, op: SignId, signature: Result<Vec<u8>, String>) {
        if self.freed {
            return;
        }
        self.advance(now);
        let input = match self.flight.as_mut() {
            Some(f) if matches!(&f.step, Step::Signing { op: o, .. } if *o == op) => match core::mem::replace(&mut f.step, Step::Idle) {
                Step::Signing { input, .. } => input,
                _ => return,
            },
            _ => return,
        };
        match signature {
            Ok(mut signature) => {
                let assertion = super::jwt::assertion(&input, &signature);
                super::secret::wipe_bytes(&mut signature);
                let http = self.config.signed_token_request(Grant::Credentials, &self.detection, Some(&assertion));
                if let Some(f) = self.flight.as_mut() {
                    f.assertion = Some(assertion);
                }
                self.send(http);
            }
            Err(message) => {
                // A key the runtime refuses (its import or its signature):
                // a configuration problem, not worth a retry.
                let message = self.safe_message(&message, &[]);
                let reason = super::text::concat(&["could not be used to sign (", &message, "): check that it is the right key for the algorithm"]);
                self.end_flight(Err(Failure::config(self.config.key_option(), &reason)));
            }
        }
        self.serve_waiters();
    }

    pub fn store_read(&mut self, now: Millis, op: StoreOpId, answer: StoreAnswer) {
        if self.freed {
            return;
        }
        self.advance(now);
        match self.flight.as_ref().map(|f| &f.step) {
            Some(Step::ReadingStore { op: o, .. }) if *o == op => self.after_store_read(answer),
            Some(Step::LeaseWait { reading: Some(o), .. }) if *o == op => self.after_lease_wait_read(answer),
            _ => {}
        }
        self.serve_waiters();
    }

    pub fn lease_answer(&mut self, now: Millis, op: StoreOpId, answer: LeaseAnswer) {
        if self.freed {
            return;
        }
        self.advance(now);
        if self.flight.as_ref().is_some_and(|f| matches!(&f.step, Step::Leasing { op: o, .. } if *o == op)) {
            self.after_lease(answer);
        }
        self.serve_waiters();
    }

    pub fn store_written(&mut self, now: Millis, op: StoreOpId) {
        if self.freed {
            return;
        }
        self.advance(now);
        self.after_store_write(op);
        self.serve_waiters();
    }

    /// Does what is due at `now`.
    pub fn timer(&mut self, now: Millis) {
        if self.freed {
            return;
        }
        self.advance(now);
        self.serve_waiters();
    }

    /// A page became visible or resumed: throttled timers may have fired late.
    pub fn page_visible(&mut self, now: Millis) {
        if self.freed {
            return;
        }
        self.advance(now);
        if self.settings.timers {
            self.on_refresh_timer();
        }
    }

    /// Drops the cached token. A flight in progress is not used: nobody
    /// receives a token asked for before this. Its request, if one is out,
    /// is let finish (one token request at a time); then it starts again
    /// for whoever waits.
    pub fn invalidate(&mut self, now: Millis) {
        if self.freed {
            return;
        }
        self.advance(now);
        self.cache.invalidate();
        self.epoch += 1;
        self.refresh_timer = None;
        self.failures = 0;
        if let Some(f) = self.flight.as_mut() {
            f.superseded = true;
            if !matches!(f.step, Step::Sending { .. }) {
                self.restart_flight();
            }
        }
        self.publish();
    }

    /// An API answered a call made with `access` with a 401 (`accepted`: an
    /// API answered one made with it otherwise before). It is dropped
    /// unless another caller has already replaced it, or it replaced a
    /// refused token moments ago and was never accepted
    /// (`cache::REFUSAL_WINDOW_MS`). Returns whether the call is worth
    /// sending again with a new token.
    pub fn refuse(&mut self, now: Millis, access: &str, accepted: bool) -> bool {
        if self.freed {
            return false;
        }
        self.advance(now);
        let refusal = self.cache.refuse(access, accepted, self.clock.wall);
        if refusal == super::cache::Refusal::Dropped {
            self.publish();
        }
        refusal != super::cache::Refusal::Kept
    }

    /// The JS face served calls from the published token since the last
    /// timer: they count as callers for the refresh timer's idle stop.
    pub fn published_used(&mut self) {
        self.cache.caller_seen();
    }

    /// Stops the client: callers waiting are rejected, flights and timers
    /// are dropped, the token is taken back from the JS face. After this,
    /// every event is ignored and `ask` is rejected at once.
    pub fn free(&mut self, now: Millis) {
        if self.freed {
            return;
        }
        self.advance(now);
        self.freed = true;
        self.cache.invalidate();
        self.refresh_timer = None;
        self.late.clear();
        for c in core::mem::take(&mut self.callers) {
            self.actions.push_back(Action::Reject { caller: c.id, failure: freed_error() });
        }
        for f in [self.flight.take(), self.writing.take()] {
            let Some(f) = f else { continue };
            self.actions.push_back(Action::FlightEnded(f.id));
        }
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
        // Each round does the earliest due item; what it starts is due later.
        for _ in 0..1_000 {
            if !self.do_next_due() {
                break;
            }
        }
        self.serve_waiters();
    }

    /// The earliest wait that ends, and what it is. At a tie, the first
    /// listed wins: a caller out of time is rejected before its flight
    /// could be restarted for it.
    fn next_due(&self) -> Option<(Millis, Due)> {
        let mut best: Option<(Millis, Due)> = None;
        let mut consider = |at: Option<Millis>, due: Due| {
            if let Some(at) = at {
                if best.is_none_or(|(b, _)| at < b) {
                    best = Some((at, due));
                }
            }
        };
        // Plain loops for the minima: each iterator chain was its own fold in the wasm.
        let mut first: Option<Millis> = None;
        for c in &self.callers {
            first = Some(first.map_or(c.deadline, |m| m.min(c.deadline)));
        }
        consider(first, Due::Caller);
        if let Some(f) = &self.flight {
            let step = match &f.step {
                Step::ReadingStore { until, .. } | Step::Leasing { until, .. } | Step::RetryWait { until, .. } | Step::WritingStore { until, .. } | Step::Signing { until, .. } => Some(*until),
                Step::LeaseWait { until, poll_at, .. } => Some((*poll_at).min(*until)),
                Step::Sending { until, aborted: false, .. } => Some(*until),
                Step::Sending { until, aborted: true, .. } => Some(*until + ABORT_GRACE_MS),
                Step::Idle => None,
            };
            consider(step, Due::Step);
            consider(Some(f.deadline), Due::FlightBound);
        }
        if let Some(Flight { step: Step::WritingStore { until, .. }, .. }) = &self.writing {
            consider(Some(*until), Due::Write);
        }
        let mut first: Option<Millis> = None;
        for l in &self.late {
            if !l.aborted {
                first = Some(first.map_or(l.until, |m| m.min(l.until)));
            }
        }
        consider(first, Due::LateDeadline);
        consider(self.refresh_timer, Due::Refresh);
        best
    }

    fn do_next_due(&mut self) -> bool {
        let mono = self.clock.mono;
        let Some((_, due)) = self.next_due().filter(|(at, _)| *at <= mono) else { return false };
        match due {
            Due::Caller => {
                let failure = self.deadline_failure("the wait for a token");
                for c in core::mem::take(&mut self.callers) {
                    if c.deadline <= mono {
                        self.actions.push_back(Action::Reject { caller: c.id, failure: failure.clone() });
                    } else {
                        self.callers.push(c);
                    }
                }
            }
            Due::Step if matches!(self.flight, Some(Flight { step: Step::Sending { aborted: false, .. }, .. })) => {
                if let Some(Flight { step: Step::Sending { request, aborted, .. }, .. }) = self.flight.as_mut() {
                    *aborted = true;
                    self.actions.push_back(Action::AbortTokenRequest(*request));
                }
            }
            Due::Step if matches!(self.flight, Some(Flight { step: Step::Sending { aborted: true, .. }, .. })) => {
                // Its fetch did not stop when aborted (it ignores its signal):
                // the attempt has timed out all the same, and an answer that
                // still comes is read as a given-up request's.
                let Some(f) = self.flight.as_mut() else { return true };
                if let Step::Sending { request, .. } = &f.step {
                    if self.late.len() >= LATE_REQUESTS {
                        take_late(&mut self.late, 0);
                    }
                    let epoch = if f.superseded { u64::MAX } else { self.epoch };
                    self.late.push(LateRequest { request: *request, sent_refresh: f.sent_refresh.clone(), epoch, until: mono, aborted: true });
                }
                let mut message = String::from("token request timed out after ");
                super::text::push_u64(&mut message, f.attempt_ms.into());
                message.push_str(" ms (its fetch did not stop when aborted)");
                self.after_exchange(Err(Failure::new(ErrorCode::Timeout, message)));
            }
            Due::Step => match self.flight.as_mut().map(|f| core::mem::replace(&mut f.step, Step::Idle)) {
                Some(Step::ReadingStore { .. }) => {
                    self.actions.push_back(Action::ReportStoreError("get timed out"));
                    self.send_grant(false);
                }
                Some(Step::Leasing { .. }) => {
                    self.actions.push_back(Action::ReportStoreError("lease timed out; requesting a token"));
                    self.send_grant(false);
                }
                Some(Step::LeaseWait { until, .. }) if until <= mono => {
                    self.actions.push_back(Action::ReportStoreError("the lease holder wrote no token in time; requesting one"));
                    self.send_grant(false);
                }
                Some(Step::LeaseWait { until, reading, .. }) => {
                    if reading.is_some() {
                        self.actions.push_back(Action::ReportStoreError("get timed out"));
                    }
                    self.read_during_lease(until)
                }
                Some(Step::RetryWait { .. }) if self.config.signs() => self.sign(),
                Some(Step::RetryWait { http, .. }) => self.send(http),
                Some(Step::Signing { .. }) => {
                    let failure = Failure::new(ErrorCode::Timeout, "signing the client's assertion with crypto.subtle took longer than timeoutMs");
                    self.end_flight(Err(failure));
                }
                Some(step @ Step::WritingStore { op, .. }) => {
                    if let Some(f) = self.flight.as_mut() {
                        f.step = step;
                    }
                    self.actions.push_back(Action::ReportStoreError("put timed out"));
                    self.after_store_write(op);
                }
                _ => {}
            },
            Due::LateDeadline => {
                for l in self.late.iter_mut().filter(|l| !l.aborted && l.until <= mono) {
                    l.aborted = true;
                    self.actions.push_back(Action::AbortTokenRequest(l.request));
                }
            }
            Due::FlightBound => {
                let bound = self.flight_bound_ms();
                self.abandon_flight(waited_too_long(bound));
            }
            Due::Write => {
                self.actions.push_back(Action::ReportStoreError("put timed out"));
                if let Some(f) = self.writing.take() {
                    self.actions.push_back(Action::FlightEnded(f.id));
                }
            }
            Due::Refresh => {
                self.refresh_timer = None;
                self.on_refresh_timer();
            }
        }
        true
    }

    /// Callers waiting while a fresh token is cached (it arrived late, or
    /// the clock moved) take it.
    fn serve_waiters(&mut self) {
        if self.callers.is_empty() {
            return;
        }
        let wall = self.clock.wall;
        if self.cache.state(wall) != super::cache::State::Fresh {
            return;
        }
        let Some(access) = self.cache.token().map(|t| t.access_token.clone()) else { return };
        for c in core::mem::take(&mut self.callers) {
            self.actions.push_back(Action::Resolve { caller: c.id, access_token: access.clone() });
        }
    }

    /// Starts a flight; `starter` is the caller it is for, if any.
    fn start_flight(&mut self, starter: Option<CallerId>) {
        let id = FlightId(self.cache.begin(self.clock.wall));
        let deadline = self.clock.mono + self.flight_bound_ms();
        let work_deadline = self.clock.mono + u64::from(self.config.deadline_ms);
        self.flight = Some(Flight {
            id,
            step: Step::Idle,
            deadline,
            work_deadline,
            attempt_ms: 0,
            refreshing: false,
            sent_refresh: None,
            waited: 0,
            sent: 0,
            superseded: false,
            holding: None,
            from_store: false,
            assertion: None,
        });
        // Whoever waits with a `waitUntil` keeps the flight alive.
        for c in &self.callers {
            if c.wait_until && (starter.is_none() || starter == Some(c.id)) {
                self.actions.push_back(Action::WaitUntil { caller: c.id, flight: id });
            }
        }
        // Not after an API refused a token from the store: then the vendor
        // is asked, and its token overwrites the entry.
        let bound = self.store_bound().filter(|_| self.settings.store && self.cache.reads_store());
        if let Some(bound) = bound {
            let op = StoreOpId(self.fresh_id());
            let until = self.clock.mono + u64::from(bound);
            if let Some(f) = self.flight.as_mut() {
                f.step = Step::ReadingStore { op, until };
            }
            self.actions.push_back(Action::ReadStore { op, flight: id, bound_ms: bound });
        } else {
            self.send_grant(false);
        }
    }

    /// Ends the flight without a token; a request it has out becomes late.
    fn drop_flight(&mut self) -> Option<Flight> {
        let f = self.flight.take()?;
        if let Step::Sending { request, until, aborted, .. } = &f.step {
            if self.late.len() >= LATE_REQUESTS {
                take_late(&mut self.late, 0);
            }
            // A superseded flight's answer is never used.
            let epoch = if f.superseded { u64::MAX } else { self.epoch };
            self.late.push(LateRequest { request: *request, sent_refresh: f.sent_refresh.clone(), epoch, until: *until, aborted: *aborted });
        }
        if !f.superseded {
            self.cache.finish(f.id.0, None);
        }
        self.actions.push_back(Action::FlightEnded(f.id));
        Some(f)
    }

    /// A superseded flight is done with its request: start again for whoever waits.
    fn restart_flight(&mut self) {
        self.drop_flight();
        if !self.callers.is_empty() {
            self.start_flight(None);
        }
    }

    /// The flight outlived its bound: its answer may never come.
    fn abandon_flight(&mut self, failure: Failure) {
        let Some(f) = self.drop_flight() else { return };
        if !self.callers.is_empty() {
            self.start_flight(None);
        } else if !f.superseded {
            self.schedule_after_flight(Some(&failure));
        }
    }

    /// A store call's bound, within what is left of the flight's deadline;
    /// `None` once nothing is left (the call is skipped).
    fn store_bound(&self) -> Option<u32> {
        let deadline = self.flight.as_ref().map_or(u64::MAX, |f| f.work_deadline);
        attempt_timeout(STORE_BOUND_MS.min(self.config.timeout_ms), deadline, self.clock.mono)
    }

    /// Starts an exchange: union's refresh grant while its refresh token
    /// lasts, the credentials otherwise or as the refresh grant's fallback.
    fn send_grant(&mut self, fallback: bool) {
        let grant = if fallback { Grant::Credentials } else { self.cache.grant(self.clock.wall) };
        let http = self.config.token_request(grant, &self.detection);
        let sent_refresh = match grant {
            Grant::Refresh(rt) => Some(rt.clone()),
            Grant::Credentials => None,
        };
        if let Some(f) = self.flight.as_mut() {
            f.refreshing = sent_refresh.is_some();
            f.sent_refresh = sent_refresh;
            f.waited = 0;
            f.sent = 0;
        }
        if self.config.signs() {
            return self.sign();
        }
        self.send(http);
    }

    /// Asks the shell to sign a fresh assertion (new `jti` and `iat`), for
    /// the next token request; cut to what is left of the deadline.
    fn sign(&mut self) {
        let op = SignId(self.fresh_id());
        let jti = [self.rng.next_u64(), self.rng.next_u64()];
        let mono = self.clock.mono;
        let Some(input) = self.config.signing_input(self.clock.wall, jti) else { return };
        let Some(f) = self.flight.as_mut() else { return };
        let Some(bound) = attempt_timeout(self.config.timeout_ms, f.work_deadline, mono) else {
            let failure = self.deadline_failure("the token request");
            return self.end_flight(Err(failure));
        };
        f.step = Step::Signing { op, input: input.clone(), until: mono + u64::from(bound) };
        self.actions.push_back(Action::Sign { op, input });
    }

    fn send(&mut self, http: HttpRequest) {
        let request = RequestId(self.fresh_id());
        let mono = self.clock.mono;
        let Some(f) = self.flight.as_mut() else { return };
        // `timeoutMs`, cut to what is left of the flight's deadline.
        let Some(timeout_ms) = attempt_timeout(self.config.timeout_ms, f.work_deadline, mono) else {
            let failure = self.deadline_failure("the token request");
            return self.end_flight(Err(failure));
        };
        let until = mono + u64::from(timeout_ms);
        self.actions.push_back(Action::SendTokenRequest { request, flight: f.id, http: http.clone(), timeout_ms });
        f.sent += 1;
        f.attempt_ms = timeout_ms;
        f.step = Step::Sending { request, http, until, aborted: false };
    }

    /// What a vendor message must not show: the credentials, the tokens the
    /// client holds, and the refresh token the request sent.
    fn redaction_secrets<'a>(&'a self, sent_refresh: Option<&'a Secret>) -> Vec<&'a str> {
        // Plain pushes: each `extend` with another iterator type was its
        // own copy of Vec's extend in the wasm.
        let mut out = self.config.credentials.secrets();
        for pair in &self.basic_pairs {
            out.push(pair.expose());
        }
        let held = self.flight.as_ref().and_then(|f| f.holding.as_ref());
        for t in [self.cache.token(), held] {
            let Some(t) = t else { continue };
            out.push(t.access_token.expose());
            if let Some(rt) = &t.refresh_token {
                out.push(rt.expose());
            }
        }
        for s in [sent_refresh, self.flight.as_ref().and_then(|f| f.assertion.as_ref())] {
            if let Some(s) = s {
                out.push(s.expose());
            }
        }
        out
    }

    /// Text from outside (a runtime's, a custom fetch's or a store's error)
    /// fit for an error message: no credential or token the client holds,
    /// nor `extra` (the token an API call used, a value being stored), in
    /// any spelling, and nothing hidden (`core::secret::safe_message`).
    pub fn safe_message(&self, text: &str, extra: &[&str]) -> String {
        let mut secrets = self.redaction_secrets(None);
        for s in extra {
            if !s.is_empty() {
                secrets.push(s);
            }
        }
        super::secret::safe_message(text, &secrets)
    }

    /// A token request the manager gave up on was answered after all. Its
    /// token is kept if it outlives the cached one (never after an
    /// `invalidate()` since it was sent); anything else is ignored.
    fn late_response(&mut self, request: RequestId, response: &TokenResponse) {
        let Some(late) = self.late.iter().position(|l| l.request == request).and_then(|i| take_late(&mut self.late, i)) else { return };
        if late.epoch != self.epoch {
            return;
        }
        // Only a token is used: the endpoint named in a failure does not matter.
        let Ok(token) = read_response(&self.config, &self.config.token_url, response, self.clock.wall, &self.redaction_secrets(late.sent_refresh.as_ref())) else { return };
        let outlives = self.cache.token().is_some_and(|old| token.expires_at > old.expires_at);
        if outlives {
            let info = TokenInfo::of(&token);
            // Not the current flight's id: kept only because it outlives.
            self.cache.finish(0, Some(token));
            self.publish();
            self.actions.push_back(Action::OnToken(info));
        }
    }

    fn after_exchange(&mut self, result: Result<Token, Failure>) {
        let Some(f) = self.flight.as_mut() else { return };
        let http = match core::mem::replace(&mut f.step, Step::Idle) {
            Step::Sending { http, .. } => http,
            _ => return,
        };
        if f.superseded {
            // Asked for before an invalidate(): not used.
            return self.restart_flight();
        }
        match result {
            Ok(token) => {
                // The format this token came in is the client's from now on.
                self.detection.settle();
                self.got_token(token, true)
            }
            Err(mut failure) => {
                // One budget for the oauth2 format's resends and the retries
                // (core::attempts); the detection learns from every failure.
                let budget = retry_budget(self.config.timeout_ms, f.waited, f.work_deadline, self.clock.mono);
                // An attempt cut short by the deadline timed out: say what ran out.
                let cut = failure.code == ErrorCode::Timeout && f.attempt_ms < self.config.timeout_ms;
                let jitter = self.rng.unit();
                match attempts::after_failure(&self.config, &mut self.detection, &mut failure, f.sent, jitter, budget) {
                    attempts::Next::Resend if self.config.signs() => self.sign(),
                    attempts::Next::Resend => {
                        let grant = if f.refreshing { self.cache.grant(self.clock.wall) } else { Grant::Credentials };
                        let http = self.config.token_request(grant, &self.detection);
                        self.send(http);
                    }
                    attempts::Next::RetryAfter(wait) => {
                        f.waited += wait;
                        f.step = Step::RetryWait { until: self.clock.mono + wait, http };
                    }
                    attempts::Next::GiveUp if f.refreshing && matches!(failure.status, Some(400 | 401)) => {
                        // The refresh token was refused: the password grant.
                        self.cache.drop_refresh_token();
                        self.send_grant(true);
                    }
                    attempts::Next::GiveUp if cut => {
                        let failure = self.deadline_failure("the token request");
                        self.end_flight(Err(failure))
                    }
                    attempts::Next::GiveUp => self.end_flight(Err(failure)),
                }
            }
        }
    }

    /// A usable token in a store read's answer, if there is one (garbage
    /// is reported if `report`).
    fn usable(&mut self, answer: StoreAnswer, report: bool) -> Option<Token> {
        let StoreAnswer::Value(text) = answer else { return None };
        match store::decode(&text, &self.store_key, self.clock.wall) {
            Ok(token) if self.cache.usable_from_store(&token, self.clock.wall) => Some(token),
            Ok(_) => None,
            Err(why) => {
                if report {
                    self.actions.push_back(Action::ReportStoreError(why));
                }
                None
            }
        }
    }

    fn after_store_read(&mut self, answer: StoreAnswer) {
        if let Some(f) = self.flight.as_mut() {
            f.step = Step::Idle;
        }
        if let Some(token) = self.usable(answer, true) {
            return self.got_token(token, false);
        }
        // No usable token: with a lease, one client asks the vendor.
        let Some(bound) = self.store_bound().filter(|_| self.settings.lease && self.flight.is_some()) else { return self.send_grant(false) };
        let op = StoreOpId(self.fresh_id());
        let ttl_ms = self.lease_bound_ms();
        let until = self.clock.mono + u64::from(bound);
        if let Some(f) = self.flight.as_mut() {
            f.step = Step::Leasing { op, until };
            self.actions.push_back(Action::AcquireLease { op, flight: f.id, ttl_ms, bound_ms: bound });
        }
    }

    /// How long a lease lasts, and how long a client waits for its
    /// holder's token: one token request's timeout and one store call.
    fn lease_bound_ms(&self) -> u32 {
        self.config.timeout_ms.saturating_add(STORE_BOUND_MS)
    }

    fn after_lease(&mut self, answer: LeaseAnswer) {
        if answer != LeaseAnswer::Held {
            // Granted, or a lease that failed (reported): ask the vendor.
            return self.send_grant(false);
        }
        let deadline = self.flight.as_ref().map_or(0, |f| f.work_deadline);
        let until = (self.clock.mono + u64::from(self.lease_bound_ms())).min(deadline);
        // The first read at once: a broker answers `held` once its holder's
        // token is in, or near its bound.
        self.read_during_lease(until);
    }

    /// A read of the store while another client holds the lease.
    fn read_during_lease(&mut self, until: Millis) {
        let op = StoreOpId(self.fresh_id());
        let bound = self.store_bound().map(|b| b.min(until.saturating_sub(self.clock.mono).min(u64::from(u32::MAX)) as u32));
        let (Some(bound @ 1..), Some(f)) = (bound, self.flight.as_mut()) else {
            self.actions.push_back(Action::ReportStoreError("the lease holder wrote no token in time; requesting one"));
            return self.send_grant(false);
        };
        f.step = Step::LeaseWait { until, poll_at: self.clock.mono + u64::from(bound), reading: Some(op) };
        self.actions.push_back(Action::ReadStore { op, flight: f.id, bound_ms: bound });
    }

    fn after_lease_wait_read(&mut self, answer: StoreAnswer) {
        // Garbage was reported by the flight's first read: not again every poll.
        if let Some(token) = self.usable(answer, false) {
            if let Some(f) = self.flight.as_mut() {
                f.step = Step::Idle;
            }
            return self.got_token(token, false);
        }
        let next = self.clock.mono + LEASE_POLL_MS;
        if let Some(Flight { step: Step::LeaseWait { poll_at, reading, .. }, .. }) = self.flight.as_mut() {
            *poll_at = next;
            *reading = None;
        }
    }

    /// The flight has its token. One from the vendor is written to the
    /// store. Where a request's end may cut the write off (no timers), the
    /// callers are settled after the write, so that it happens within
    /// their request; elsewhere at once, and the write goes on behind.
    fn got_token(&mut self, token: Token, from_vendor: bool) {
        if let Some(f) = self.flight.as_mut() {
            f.from_store = !from_vendor;
        }
        // Written bound to the store's key, within the deadline. (The key is
        // known: a write follows a read, in this flight or, when the store is
        // bypassed, in the flight that read the refused token.)
        let bound = self.store_bound().filter(|_| self.settings.store && from_vendor && !self.store_key.is_empty());
        let value = match bound.map(|_| store::encode(&token, &self.store_key)) {
            Some(Some(value)) => value,
            Some(None) => {
                self.actions.push_back(Action::ReportStoreError("token too large to share (over 64 KiB); not written"));
                return self.end_flight(Ok(token));
            }
            None => return self.end_flight(Ok(token)),
        };
        let op = StoreOpId(self.fresh_id());
        let bound = bound.unwrap_or_default();
        let ttl_seconds = store::expiration_ttl(&token, self.clock.wall);
        self.actions.push_back(Action::WriteStore { op, value, ttl_seconds, bound_ms: bound });
        let until = self.clock.mono + u64::from(bound);
        if self.settings.timers {
            if let Some(mut f) = self.finish(Ok(token)) {
                if let Some(previous) = self.writing.take() {
                    self.actions.push_back(Action::FlightEnded(previous.id));
                }
                f.step = Step::WritingStore { op, until };
                self.writing = Some(f);
            }
        } else if let Some(f) = self.flight.as_mut() {
            f.step = Step::WritingStore { op, until };
            f.holding = Some(token);
        }
    }

    /// The store write finished (or its bound ran out).
    fn after_store_write(&mut self, op: StoreOpId) {
        if self.writing.as_ref().is_some_and(|f| matches!(&f.step, Step::WritingStore { op: o, .. } if *o == op)) {
            if let Some(f) = self.writing.take() {
                self.actions.push_back(Action::FlightEnded(f.id));
            }
            return;
        }
        let held = match self.flight.as_mut() {
            Some(f) if matches!(&f.step, Step::WritingStore { op: o, .. } if *o == op) => f.holding.take(),
            _ => None,
        };
        if let Some(token) = held {
            self.end_flight(Ok(token));
        }
    }

    fn end_flight(&mut self, result: Result<Token, Failure>) {
        if let Some(f) = self.finish(result) {
            self.actions.push_back(Action::FlightEnded(f.id));
        }
    }

    /// The end of a flight: record the outcome, tell the JS face, arm the
    /// timer, call `onToken`, settle the callers. Returns the flight, for
    /// the caller to say when it has ended.
    fn finish(&mut self, result: Result<Token, Failure>) -> Option<Flight> {
        let flight = self.flight.take()?;
        let id = flight.id;
        match result {
            Ok(token) => {
                let access = token.access_token.clone();
                let info = TokenInfo::of(&token);
                let source = if flight.from_store { super::cache::Source::Store } else { super::cache::Source::Vendor };
                self.cache.finish_from(id.0, Some(token), source);
                if self.settings.store {
                    // A new renewal point for every token: two clients that
                    // drew close ones once do not collide at every renewal after.
                    let jitter = self.rng.unit();
                    self.cache.set_jitter(jitter);
                }
                self.publish();
                self.schedule_after_flight(None);
                self.actions.push_back(Action::OnToken(info));
                for c in core::mem::take(&mut self.callers) {
                    self.actions.push_back(Action::Resolve { caller: c.id, access_token: access.clone() });
                }
            }
            Err(failure) => {
                self.cache.finish(id.0, None);
                self.schedule_after_flight(Some(&failure));
                for c in core::mem::take(&mut self.callers) {
                    self.actions.push_back(Action::Reject { caller: c.id, failure: failure.clone() });
                }
            }
        }
        Some(flight)
    }

    fn publish(&mut self) {
        let published = match (self.cache.token(), self.cache.renew_at()) {
            (Some(t), Some(until)) if !self.freed => {
                Some(Published { access_token: t.access_token.clone(), until })
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
                self.cache.token().map(|t| timer_delay(self.cache.timer_at().unwrap_or(t.expires_at), t.obtained_at, wall))
            }
            Some(f) => {
                let attempt = self.failures;
                self.failures = self.failures.saturating_add(1);
                let jitter = self.rng.unit();
                let valid_for = self.cache.valid(wall).map(|t| t.expires_at - wall);
                valid_for.map(|left| retry_timer_delay(attempt, jitter, f.retry_after_ms, left))
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
        let wait = match (self.cache.token(), self.cache.timer_at()) {
            (Some(t), Some(at)) => timer_delay(at, t.obtained_at, wall),
            _ => return,
        };
        if wait > 0 {
            self.refresh_timer = Some(self.clock.mono + wait);
        } else if self.flight.is_none() && self.cache.timer_may_renew() {
            // At most `cache::MAX_IDLE_RENEWALS` renewals with no caller in
            // between; the next caller's token request arms it again.
            self.cache.timer_renewed();
            self.start_flight(None);
        }
    }
}
