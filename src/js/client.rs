//! The client exported to JavaScript, and single-flight token acquisition.
//!
//! Single flight, and why it is built this way: in workerd a request that
//! awaits a *Rust* future driven from another request's context is killed
//! ("code had hung"), and a JS promise made by a request that has ended
//! never settles. So what is shared between callers is only ever
//! - the cached token string (always safe), or
//! - the JS promise of the token request in flight, which each waiter awaits
//!   through its own `JsFuture`; a waiter stops waiting once that flight is
//!   older than the longest it can legitimately take, and starts its own.
//!
//! Auto-refresh: where timers outlive a request (browsers, Deno, Node), an
//! unref'd timer starts the next token request `refreshLeewaySeconds` before
//! expiry, and callers keep getting the still-valid token meanwhile. A failed
//! refresh is retried with capped, jittered backoff while the token lasts.
//! In Workers no timer is ever made; expiry is checked on each call.
//!
//! The per-call path is not here: the client publishes its fresh token to
//! the JS face (`publish`), and `client.fetch` runs in JavaScript.

use super::error::{js_error, to_js};
use super::options::JsOptions;
use super::store::SharedStore;
use super::timer::{PageListener, Timer};
use super::transport::{self, now};
use crate::core::attempts;
use crate::core::cache::{Next, Refusal, Source, TokenCache};
use crate::core::config::Config;
use crate::core::dialect::{build_request, Detection, Grant};
use crate::core::error::{ErrorCode, Failure};
use crate::core::response::{self, Arrival, Token};
use crate::core::schedule::{attempt_timeout, retry_budget, retry_timer_delay, timer_delay, DEADLINE_GRACE_MS};
use crate::core::secret::{safe_message, Secret};
use crate::core::text::push_u64;
use js_sys::{Array, Function, Object, Promise};
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

struct Inner {
    config: Config,
    fetch: Option<Function>,
    on_token: Option<Function>,
    store: Option<SharedStore>,
    /// Auto-refresh in effect: hand out a still-valid token while its
    /// replacement is fetched, instead of making the caller wait.
    background: bool,
    /// Auto-refresh by timer (never in Workers).
    timers: bool,
    state: RefCell<State>,
    /// The JS face's hook (`pkg-template/api.js`): told the cached token,
    /// until when it is fresh, and the headers an API call gets with it,
    /// each time they change, so that `client.fetch`
    /// (`pkg-template/api_fetch.js`) with a fresh token never crosses into
    /// the wasm. It holds only a small slot object, never the client: a
    /// reference from here to the client would keep it alive.
    publish: Option<Function>,
    /// The JS face's other hook: whether `client.fetch` used the published
    /// token since it was last asked (and forget it), so the refresh timer
    /// counts those calls as callers.
    published_used: Option<Function>,
}

struct State {
    cache: TokenCache,
    /// How token requests are sent, and what the oauth2 dialect has learnt
    /// of the server: kept for the client's life (`core::dialect::Detection`).
    detection: Detection,
    /// The promise of the token request in flight, by flight id.
    pending: Option<(u64, Promise)>,
    freed: bool,
    /// The armed refresh (or retry) timer.
    timer: Option<Timer>,
    /// Failed refreshes in a row, for the backoff.
    failures: u32,
    page_listener: Option<PageListener>,
}

/// `navigator.userAgent` is "Cloudflare-Workers" in workerd.
fn in_workerd() -> bool {
    let get = |target: &JsValue, key: &str| js_sys::Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
    let navigator = get(&js_sys::global(), "navigator");
    navigator.is_object() && get(&navigator, "userAgent").as_string().is_some_and(|ua| ua == "Cloudflare-Workers")
}

/// What `tokenInfo()` and `onToken` receive. Never a credential or refresh token.
fn token_info(token: &Token) -> JsValue {
    let info = Object::new();
    let set = |key: &str, value: JsValue| {
        let _ = js_sys::Reflect::set(&info, &JsValue::from_str(key), &value);
    };
    set("accessToken", JsValue::from_str(token.access_token.expose()));
    set("tokenType", JsValue::from_str(&token.token_type));
    set("expiresAt", JsValue::from_f64(token.expires_at as f64));
    // u64::MAX: a refresh token that never expires (Keycloak's 0).
    if let Some(at) = token.refresh_expires_at.filter(|t| *t != u64::MAX) {
        set("refreshExpiresAt", JsValue::from_f64(at as f64));
    }
    if let Some(scope) = &token.scope {
        set("scope", JsValue::from_str(scope));
    }
    info.into()
}

fn freed_error() -> JsValue {
    js_error(ErrorCode::InvalidConfig, "this AuthClient has been freed; create a new one")
}

impl Inner {
    /// How long a flight may be joined: everything it does (store read,
    /// attempts, retries, the union fallback, store write) ends within
    /// `deadlineMs` of its start; a flight older than that, and a moment,
    /// will not settle (in workerd, its request may have ended).
    fn stale_after_ms(&self) -> u64 {
        u64::from(self.config.deadline_ms) + DEADLINE_GRACE_MS
    }

    /// A valid access token: cached, joined from the flight in progress, or
    /// from a new token request, within `deadlineMs` (docs/API.md §4).
    /// `wait_until` (a Workers `ctx.waitUntil`) keeps a background refresh
    /// alive after the caller's request ends. (A caller's `signal` is raced
    /// against this in JS: `api_fetch.js`.)
    async fn acquire_or_join(self: &Rc<Self>, wait_until: Option<&Function>) -> Result<String, JsValue> {
        let give_up_at = now() + self.stale_after_ms();
        loop {
            let now = now();
            let wait = {
                let mut state = self.state.borrow_mut();
                if state.freed {
                    return Err(freed_error());
                }
                state.cache.caller_seen();
                match state.cache.next(now, self.stale_after_ms(), self.background) {
                    Next::Use => match state.cache.valid(now) {
                        Some(t) => return Ok(t.access_token.expose().to_owned()),
                        None => Wait::Start,
                    },
                    Next::Join(id) => match &state.pending {
                        Some((pid, promise)) if *pid == id => Wait::Join(promise.clone()),
                        _ => Wait::Start,
                    },
                    Next::Start => Wait::Start,
                }
            };
            // A join waits until the flight is stale; any wait ends when the
            // caller's own deadline does.
            let left = give_up_at.saturating_sub(now);
            let (promise, limit) = match wait {
                Wait::Join(promise) => (promise, left.min(self.stale_after_ms())),
                Wait::Start => {
                    let flight = self.start_flight(now);
                    if let Some(wait_until) = wait_until {
                        let _ = wait_until.call1(&JsValue::UNDEFINED, &flight);
                    }
                    (flight, left)
                }
            };
            match transport::with_deadline(promise, limit).await {
                Some(Ok(token)) => return token.as_string().ok_or_else(|| js_error(ErrorCode::InvalidResponse, "token request gave no token")),
                Some(Err(error)) => return Err(error),
                None if crate::js::transport::now() >= give_up_at => return Err(to_js(&self.deadline_failure("the wait for a token"))),
                // The flight we joined outlived its deadline: its promise may
                // belong to a request that has ended. Go round and start one.
                None => continue,
            }
        }
    }

    /// `timeout`: `deadlineMs` ran out during `what`.
    fn deadline_failure(&self, what: &str) -> Failure {
        let mut message = String::from(what);
        message.push_str(" ran out of deadlineMs (");
        push_u64(&mut message, self.config.deadline_ms.into());
        message.push_str(" ms for one getToken(), every attempt, retry and wait included)");
        Failure::new(ErrorCode::Timeout, message)
    }

    fn start_flight(self: &Rc<Self>, now: u64) -> Promise {
        let id = self.state.borrow_mut().cache.begin(now);
        let deadline_at = now + u64::from(self.config.deadline_ms);
        let promise = future_to_promise(acquire(self.clone(), id, deadline_at));
        self.state.borrow_mut().pending = Some((id, promise.clone()));
        promise
    }

    /// One token acquisition, with union's refresh grant where it applies
    /// and the password grant as its fallback when the refresh token is
    /// refused; all of it, store included, by `deadline_at`.
    async fn request_token(&self, deadline_at: u64) -> Result<(Token, Source), Failure> {
        // Read-through: another isolate or process may have the token already.
        // Read just before our own request, so that clients sharing a store
        // renew about once per lifetime rather than once each. Not after an
        // API refused a token from the store: then the vendor is asked, and
        // its token overwrites the entry.
        let reads_store = self.state.borrow().cache.reads_store();
        if let (Some(store), true) = (&self.store, reads_store) {
            if let Some(token) = store.read(&self.config, store_bound(deadline_at), &|text| self.safe_message(text, &[])).await {
                if self.state.borrow().cache.usable_from_store(&token, now()) {
                    return Ok((token, Source::Store));
                }
            }
        }
        let result = self.request_from_vendor(deadline_at).await;
        if let (Some(store), Ok(token)) = (&self.store, &result) {
            if let Some(bound) = store_bound(deadline_at) {
                // A store's error may quote the value: the new tokens.
                let new = [token.access_token.expose(), token.refresh_token.as_ref().map_or("", Secret::expose)];
                store.write(&self.config, token, bound, &|text| self.safe_message(text, &new)).await;
            }
        }
        result.map(|token| (token, Source::Vendor))
    }

    async fn request_from_vendor(&self, deadline_at: u64) -> Result<Token, Failure> {
        let refreshing = matches!(self.state.borrow().cache.grant(now()), Grant::Refresh(_));
        let result = self.exchange_with_retries(refreshing, deadline_at).await;
        match result {
            Err(f) if refreshing && matches!(f.status, Some(400 | 401)) => {
                self.state.borrow_mut().cache.drop_refresh_token();
                self.exchange_with_retries(false, deadline_at).await
            }
            other => other,
        }
    }

    /// The request for the next attempt: the grant the cache calls for,
    /// sent the way the detection now says.
    fn next_request(&self, refreshing: bool) -> crate::core::dialect::HttpRequest {
        let state = self.state.borrow();
        let grant = if refreshing { state.cache.grant(now()) } else { Grant::Credentials };
        build_request(&self.config, grant, &state.detection)
    }

    /// One grant's token requests, as `core::attempts` decides: resent at
    /// once in another format, retried after a wait (the waits add up to at
    /// most `timeoutMs`, and each attempt has its own `timeoutMs`), or given
    /// up; at most `MAX_TOKEN_REQUESTS` in all, and all of it by `deadline_at`.
    async fn exchange_with_retries(&self, refreshing: bool, deadline_at: u64) -> Result<Token, Failure> {
        let mut waited = 0u64;
        let mut sent = 1u32;
        let mut request = self.next_request(refreshing);
        loop {
            let Some(timeout) = attempt_timeout(self.config.timeout_ms, deadline_at, now()) else {
                return Err(self.deadline_failure("the token request"));
            };
            match self.exchange(&request, timeout).await {
                Err(mut failure) => {
                    let budget = retry_budget(self.config.timeout_ms, waited, deadline_at, now());
                    let next = {
                        let mut state = self.state.borrow_mut();
                        attempts::after_failure(&self.config, &mut state.detection, &mut failure, sent, js_sys::Math::random(), budget)
                    };
                    match next {
                        attempts::Next::Resend => request = self.next_request(refreshing),
                        attempts::Next::RetryAfter(wait) => {
                            gloo_timers::future::TimeoutFuture::new(wait as u32).await;
                            waited += wait;
                        }
                        // An attempt cut short by the deadline: say so.
                        attempts::Next::GiveUp if failure.code == ErrorCode::Timeout && timeout < self.config.timeout_ms => {
                            return Err(self.deadline_failure("the token request"));
                        }
                        attempts::Next::GiveUp => return Err(failure),
                    }
                    sent += 1;
                }
                Ok(token) => {
                    self.state.borrow_mut().detection.settle();
                    return Ok(token);
                }
            }
        }
    }

    async fn exchange(&self, request: &crate::core::dialect::HttpRequest, timeout_ms: u32) -> Result<Token, Failure> {
        // A custom `fetch` may reject with an error that quotes the request.
        let arrived = transport::send(self.fetch.as_ref(), request, timeout_ms).await.map_err(|mut f| {
            f.message = self.safe_message(&f.message, &[]);
            f
        })?;
        let arrival = Arrival {
            status: arrived.status,
            at: arrived.at,
            date: arrived.date.as_deref(),
            retry_after: arrived.retry_after.as_deref(),
            www_authenticate: arrived.www_authenticate.as_deref(),
        };
        let mut body = arrived.body;
        let parsed = self.with_secrets(&[], |secrets| response::parse(self.config.provider, &request.url, arrival, &body, secrets));
        crate::core::secret::wipe_bytes(&mut body);
        parsed
    }

    /// Calls `f` with every value an error must not show: the credentials
    /// and their `id:secret` pairs, the cached access and refresh tokens,
    /// and `extra` (the token an API call used, tokens being stored).
    fn with_secrets<R>(&self, extra: &[&str], f: impl FnOnce(&[&str]) -> R) -> R {
        let pairs: Vec<Secret> = self.config.credentials.basic_pairs();
        let state = self.state.borrow();
        let mut secrets = self.config.credentials.secrets();
        secrets.extend(pairs.iter().map(Secret::expose));
        if let Some(t) = state.cache.token() {
            secrets.push(t.access_token.expose());
            if let Some(rt) = &t.refresh_token {
                secrets.push(rt.expose());
            }
        }
        secrets.extend(extra.iter().filter(|s| !s.is_empty()));
        f(&secrets)
    }

    /// Text from outside (a runtime's or a custom fetch's error message)
    /// made fit for an `AuthError`: no secret in any spelling, nothing hidden.
    fn safe_message(&self, text: &str, extra: &[&str]) -> String {
        self.with_secrets(extra, |secrets| safe_message(text, secrets))
    }

    /// Calls `onToken`; whatever it throws or rejects with stays contained.
    fn notify(&self, info: &JsValue) {
        if let Some(callback) = &self.on_token {
            if let Ok(returned) = callback.call1(&JsValue::UNDEFINED, info) {
                if let Some(promise) = returned.dyn_ref::<Promise>() {
                    transport::ignore(promise);
                }
            }
        }
    }

    /// An API answered a call made with `access_token` with a 401.
    fn refuse(&self, access_token: &str, accepted: bool) -> Refusal {
        let refusal = self.state.borrow_mut().cache.refuse(access_token, accepted, now());
        if refusal == Refusal::Dropped {
            self.publish();
        }
        refusal
    }

    /// `[name, value, replace]` for each header an API call gets with
    /// `access`: `replace` headers win over the caller's, the others are
    /// added only when the caller has not set them.
    fn header_list(&self, access: &str) -> Array {
        crate::core::headers::api_headers(&self.config, access)
            .iter()
            .map(|h| -> JsValue { Array::of3(&JsValue::from_str(h.name), &JsValue::from_str(&h.value), &JsValue::from_bool(h.replace)).into() })
            .collect()
    }

    /// Tells the JS face what `client.fetch` may use without asking the wasm:
    /// the token while it is fresh (until the renewal point), or nothing.
    /// Called after every change of the cached token.
    fn publish(&self) {
        let Some(hook) = &self.publish else { return };
        let state = self.state.borrow();
        let (token, until, headers) = match (state.cache.token(), state.cache.renew_at()) {
            (Some(t), Some(at)) if !state.freed => {
                (JsValue::from_str(t.access_token.expose()), JsValue::from_f64(at as f64), self.header_list(t.access_token.expose()).into())
            }
            _ => (JsValue::UNDEFINED, JsValue::from_f64(0.0), JsValue::UNDEFINED),
        };
        drop(state);
        let _ = hook.call3(&JsValue::UNDEFINED, &token, &until, &headers);
    }

    /// After a flight: arm the timer for the next refresh, or for a retry
    /// with backoff while the current token is still valid. With no valid
    /// token the callers drive again (a background loop must not hammer a
    /// vendor that refuses the credentials).
    fn schedule_after_flight(self: &Rc<Self>, failed: Option<&Failure>) {
        if !self.timers {
            return;
        }
        let now = now();
        let mut state = self.state.borrow_mut();
        if state.freed {
            return;
        }
        let delay = match failed {
            None => {
                state.failures = 0;
                state.cache.token().map(|t| timer_delay(state.cache.timer_at().unwrap_or(t.expires_at), t.obtained_at, now))
            }
            Some(f) => {
                let attempt = state.failures;
                state.failures = state.failures.saturating_add(1);
                let valid_for = state.cache.valid(now).map(|t| t.expires_at - now);
                valid_for.map(|left| retry_timer_delay(attempt, js_sys::Math::random(), f.retry_after_ms, left))
            }
        };
        state.timer = delay.and_then(|ms| self.arm(ms));
    }

    /// Whether `client.fetch` used the published token since the last ask.
    fn published_token_used(&self) -> bool {
        self.published_used.as_ref().is_some_and(|used| used.call0(&JsValue::UNDEFINED).is_ok_and(|v| v.is_truthy()))
    }

    fn arm(self: &Rc<Self>, delay_ms: u64) -> Option<Timer> {
        let weak = Rc::downgrade(self);
        // The callback only queues the work: the timer it belongs to is
        // replaced (and its closure dropped) by that work, which must not
        // happen while the closure is still running.
        Timer::start(delay_ms, move || {
            let weak = weak.clone();
            wasm_bindgen_futures::spawn_local(async move { on_timer(&weak) });
        })
    }
}

/// The refresh timer fired (or a page became visible): refresh if due,
/// else re-arm for the rest of the wait. After `MAX_IDLE_RENEWALS` renewals
/// with no caller in between it stops; the next caller's token request arms
/// it again. The client is held weakly, so a client dropped without
/// `free()` is not kept alive by its timer.
fn on_timer(weak: &Weak<Inner>) {
    let Some(inner) = weak.upgrade() else { return };
    let now = now();
    let used = inner.published_token_used();
    let (wait, idle, may_renew) = {
        let mut state = inner.state.borrow_mut();
        if state.freed {
            return;
        }
        if used {
            state.cache.caller_seen();
        }
        match (state.cache.token(), state.cache.timer_at()) {
            (Some(t), Some(at)) => (timer_delay(at, t.obtained_at, now), !state.cache.is_acquiring(), state.cache.timer_may_renew()),
            _ => return,
        }
    };
    if wait > 0 {
        let timer = inner.arm(wait);
        inner.state.borrow_mut().timer = timer;
    } else if idle && may_renew {
        inner.state.borrow_mut().cache.timer_renewed();
        transport::ignore(&inner.start_flight(now));
    }
}

/// How long a store call may take: its own bound, within what is left of
/// the flight's deadline; `None` once nothing is left.
fn store_bound(deadline_at: u64) -> Option<u32> {
    attempt_timeout(super::store::STORE_TIMEOUT_MS, deadline_at, now())
}

enum Wait {
    Join(Promise),
    Start,
}

/// The body of a flight: request, then record the outcome in the cache.
async fn acquire(inner: Rc<Inner>, id: u64, deadline_at: u64) -> Result<JsValue, JsValue> {
    let result = inner.request_token(deadline_at).await;
    let mut state = inner.state.borrow_mut();
    if state.pending.as_ref().is_some_and(|(pid, _)| *pid == id) {
        state.pending = None;
    }
    match result {
        Ok((token, source)) => {
            let access = JsValue::from_str(token.access_token.expose());
            let info = inner.on_token.is_some().then(|| token_info(&token));
            state.cache.finish_from(id, Some(token), source);
            if inner.store.is_some() {
                // A new renewal point for every token: two clients that drew
                // close ones once do not collide at every renewal after.
                state.cache.set_jitter(js_sys::Math::random());
            }
            drop(state);
            inner.publish();
            inner.schedule_after_flight(None);
            if let Some(info) = info {
                inner.notify(&info);
            }
            Ok(access)
        }
        Err(failure) => {
            state.cache.finish(id, None);
            drop(state);
            inner.schedule_after_flight(Some(&failure));
            Err(to_js(&failure))
        }
    }
}

/// The per-call options' `waitUntil` (e.g. `ctx.waitUntil.bind(ctx)` in
/// Workers), an own property only, as every option is.
fn wait_until(call: &JsValue) -> Option<Function> {
    super::options::own(call.dyn_ref::<Object>()?, "waitUntil").dyn_into().ok()
}

/// The `store` option must have the Workers KV shape: `get` and `put` functions.
fn check_store(store: &JsValue) -> Result<(), &'static str> {
    if store.is_undefined() || store.is_null() {
        return Ok(());
    }
    let has = |name: &str| js_sys::Reflect::get(store, &JsValue::from_str(name)).is_ok_and(|f| f.is_function());
    if store.is_object() && has("get") && has("put") {
        Ok(())
    } else {
        Err("must be an object with get(key) and put(key, value, { expirationTtl }) methods, like a Workers KV namespace")
    }
}

/// The wasm class behind the package's `AuthClient` (see `pkg-template/api.js`,
/// which adds `free()` semantics docs/API.md §4 asks for).
#[wasm_bindgen]
pub struct WasmAuthClient {
    inner: Rc<Inner>,
}

#[wasm_bindgen]
impl WasmAuthClient {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue, publish: Option<Function>, published_used: Option<Function>) -> Result<WasmAuthClient, JsValue> {
        let Some(object) = options.dyn_ref::<Object>().filter(|_| !options.is_function()) else {
            return Err(js_error(ErrorCode::InvalidConfig, "options must be an object, e.g. new AuthClient({ provider: \"younium\", … })"));
        };
        let js = JsOptions(object);
        let config = Config::from_options(&js).map_err(|f| to_js(&f))?;
        let function = |name: &'static str| {
            js.function(name).map_err(|name| to_js(&Failure::config(name, "must be a function")))
        };
        let fetch = function("fetch")?;
        let on_token = function("onToken")?;
        let on_store_error = function("onStoreError")?;
        let store_value = js.raw("store");
        check_store(&store_value).map_err(|reason| to_js(&Failure::config("store", reason)))?;
        let store = store_value.dyn_into::<Object>().ok().map(|s| SharedStore::new(s, on_store_error));
        let workerd = in_workerd();
        let background = config.auto_refresh.unwrap_or(!workerd);
        let timers = background && !workerd;
        // Clients sharing a store renew at a random point in the leeway window.
        let mut cache = TokenCache::new(config.leeway_ms);
        if store.is_some() {
            cache = cache.shared(js_sys::Math::random());
        }
        let detection = Detection::for_config(&config);
        let state = State { cache, detection, pending: None, freed: false, timer: None, failures: 0, page_listener: None };
        let inner = Rc::new(Inner { config, fetch, on_token, store, background, timers, state: RefCell::new(state), publish, published_used });
        if timers {
            let weak = Rc::downgrade(&inner);
            let listener = PageListener::add(move || {
                let weak = weak.clone();
                wasm_bindgen_futures::spawn_local(async move { on_timer(&weak) });
            });
            inner.state.borrow_mut().page_listener = listener;
        }
        Ok(WasmAuthClient { inner })
    }

    #[wasm_bindgen(js_name = getToken)]
    pub fn get_token(&self, call: JsValue) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move { inner.acquire_or_join(wait_until(&call).as_ref()).await.map(JsValue::from) })
    }

    /// `tokenInfo()` for `access` if it is still the cached token (an
    /// `invalidate()` may have dropped it since the caller got it), else
    /// `undefined`. The JS face loops over `getToken` and this.
    #[wasm_bindgen(js_name = infoFor)]
    pub fn info_for(&self, access: &str) -> JsValue {
        let state = self.inner.state.borrow();
        state.cache.token().filter(|t| t.access_token.expose() == access).map_or(JsValue::UNDEFINED, token_info)
    }

    /// The headers an API call gets with `access`, as `[name, value, replace]`.
    #[wasm_bindgen(js_name = headerList)]
    pub fn header_list(&self, access: &str) -> Array {
        self.inner.header_list(access)
    }

    /// An API answered a call made with `access` with a 401 (`accepted`:
    /// an API answered one with it otherwise before): drop it, unless
    /// another caller has already replaced it, or it replaced a refused
    /// token moments ago and was never accepted. Whether to send the call
    /// again (with a new token).
    pub fn refuse(&self, access: &str, accepted: bool) -> bool {
        self.inner.refuse(access, accepted) != Refusal::Kept
    }

    /// `text` (an API call's failure, from a runtime or a custom fetch)
    /// without any secret, the call's `token` included, or hidden character.
    #[wasm_bindgen(js_name = safeMessage)]
    pub fn safe_message(&self, text: &str, token: &str) -> String {
        self.inner.safe_message(text, &[token])
    }

    /// The `allowedOrigins` option, as given, for the JS face's origin check.
    #[wasm_bindgen(getter = allowedOrigins)]
    pub fn allowed_origins(&self) -> Array {
        self.inner.config.allowed_origins.iter().map(|o| JsValue::from_str(o)).collect()
    }

    /// The `fetch` option, for the JS face's own API calls.
    #[wasm_bindgen(getter = configuredFetch)]
    pub fn configured_fetch(&self) -> Option<Function> {
        self.inner.fetch.clone()
    }

    /// What relative URLs are joined to, for the JS face's own API calls.
    #[wasm_bindgen(getter = apiBase)]
    pub fn api_base(&self) -> Option<String> {
        self.inner.config.api_base.clone()
    }

    pub fn invalidate(&self) {
        {
            let mut state = self.inner.state.borrow_mut();
            state.cache.invalidate();
            state.pending = None;
            state.timer = None;
            state.failures = 0;
        }
        self.inner.publish();
    }

    /// Stops the client: clears every timer and listener, drops the token,
    /// forgets the flight, refuses later calls.
    pub fn dispose(&self) {
        let mut state = self.inner.state.borrow_mut();
        state.freed = true;
        state.cache.invalidate();
        state.pending = None;
        state.timer = None;
        state.page_listener = None;
        drop(state);
        self.inner.publish();
    }
}
