//! The client exported to JavaScript: an executor of the token manager
//! (`core::manager`), and nothing else. Every decision is the manager's;
//! this file feeds it events and performs its actions with the runtime's
//! APIs, draining `poll()` after every event and re-arming the one timer
//! `poll_timeout()` asks for.
//!
//! | event | from |
//! |---|---|
//! | a caller asks / gives up | `ask` / `giveUp` (the JS face makes each caller its own promise) |
//! | a token response, or none | the task performing `SendTokenRequest` |
//! | the store answered / a write finished / a lease was answered | the task performing `ReadStore` / `WriteStore` / `AcquireLease` |
//! | the timer fired | the timer armed from `poll_timeout()` |
//! | the page became visible | the page listener (where timers run) |
//! | `invalidate()`, a 401 refusal, `free()` | `invalidate`, `refuse`, `dispose` |
//!
//! Why it is built this way (workerd): a request that awaits a Rust future
//! driven from another request is killed, and a JS promise made by a
//! request that has ended never settles. So nothing awaited is shared
//! between callers: each caller waits on its own JS promise, made in its
//! own request by the JS face and settled by the `Resolve`/`Reject`
//! actions, and each I/O is its own task, awaiting only promises of the
//! request that performed it. A flight whose answer never comes (its
//! request ended) is abandoned by the manager at its bound.
//!
//! The per-call path is not here: the manager publishes its fresh token to
//! the JS face (`Publish`), and `client.fetch` runs in JavaScript.

use super::error::to_js;
use super::options::JsOptions;
use super::outbound::{header_list, token_info};
use super::sign::Signer;
use super::store::{read_answer, SharedStore, StoreCall};
use super::timer::{PageListener, Timer};
use super::transport::{self, ignore};
use crate::core::config::Config;
use crate::core::error::{ErrorCode, Failure};
use crate::core::manager::{Action, CallerId, FlightId, LeaseAnswer, RequestId, Settings, StoreAnswer, StoreOpId, Timeout, TokenManager};
use crate::core::secret::Secret;
use crate::core::Millis;
use js_sys::{Function, Promise};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::AbortController;

#[wasm_bindgen]
extern "C" {
    type Navigator;
    #[wasm_bindgen(thread_local_v2, js_name = navigator)]
    static NAVIGATOR: Option<Navigator>;
    #[wasm_bindgen(method, getter, structural, js_name = userAgent)]
    fn user_agent(this: &Navigator) -> JsValue;
}

/// `navigator.userAgent` is "Cloudflare-Workers" in workerd.
fn in_workerd() -> bool {
    NAVIGATOR.with(|n| n.as_ref().is_some_and(|n| n.user_agent().as_string().is_some_and(|ua| ua == "Cloudflare-Workers")))
}

fn now() -> Millis {
    js_sys::Date::now() as Millis
}

/// A caller's promise, as the JS face made it.
struct Caller {
    id: CallerId,
    resolve: Function,
    reject: Function,
    /// The call's `waitUntil`, if it gave one.
    wait_until: Option<Function>,
    /// In workerd, a timer in the caller's own request for as long as it
    /// waits: a request with nothing pending of its own is cancelled as
    /// hung, however soon another request would settle its promise. It
    /// fires at the caller's bound, when the manager rejects it (elsewhere
    /// the manager's own timer does).
    _bound: Option<Timer>,
}

/// What is in progress on the JS side of the manager's actions.
#[derive(Default)]
struct Io {
    callers: Vec<Caller>,
    /// Promises handed to a `waitUntil`, settled when their flight ends.
    held_open: Vec<(FlightId, Function)>,
    /// Token requests out, aborted at their deadline (then marked as
    /// timed out) or by `free()`.
    requests: Vec<(RequestId, AbortController, Rc<Cell<bool>>)>,
    timer: Option<(Timeout, Timer)>,
    page_listener: Option<PageListener>,
}

struct Shell {
    manager: RefCell<TokenManager>,
    fetch: Option<Function>,
    on_token: Option<Function>,
    store: Option<SharedStore>,
    /// The JS face's other hook: whether `client.fetch` used the published
    /// token since it was last asked (and forget it), so that the refresh
    /// timer counts those calls as callers (docs/API.md §6).
    published_used: Option<Function>,
    /// The JS face's hook (`pkg-template/api.js`): told the cached token,
    /// until when it is fresh, and the headers an API call gets with it,
    /// each time they change, so that `client.fetch`
    /// (`pkg-template/api_fetch.js`) with a fresh token never crosses into
    /// the wasm. It holds only a small slot object, never the client: a
    /// reference from here to the client would keep it alive.
    publish: Option<Function>,
    /// In workerd (where requests that wait on nothing of their own are cancelled).
    workerd: bool,
    /// The client's signing key, imported at its first assertion.
    signer: Signer,
    io: RefCell<Io>,
}

impl Shell {
    // Our own hooks and promises' resolve functions are called with one
    // `undefined` argument rather than none: `call1` is an import the shell
    // has anyway, `call0` would be one more.
    fn published_token_used(&self) -> bool {
        self.published_used.as_ref().is_some_and(|used| used.call1(&JsValue::UNDEFINED, &JsValue::UNDEFINED).is_ok_and(|v| v.is_truthy()))
    }

    /// Feeds one event to the manager, then performs what it asks.
    fn handle(self: &Rc<Self>, event: impl FnOnce(&mut TokenManager, Millis)) {
        event(&mut self.manager.borrow_mut(), now());
        self.drain();
    }

    /// Performs every action the manager has queued (an action's JS may
    /// feed another event: that one drains the same queue), then arms the
    /// timer it asks for.
    fn drain(self: &Rc<Self>) {
        loop {
            let action = self.manager.borrow_mut().poll();
            match action {
                Some(action) => self.perform(action),
                None => break,
            }
        }
        self.rearm();
    }

    #[inline(never)]
    fn perform(self: &Rc<Self>, action: Action) {
        match action {
            Action::SendTokenRequest { request, http, timeout_ms, .. } => {
                let abort = AbortController::new().ok();
                let timed_out = Rc::new(Cell::new(false));
                if let Some(a) = &abort {
                    self.io.borrow_mut().requests.push((request, a.clone(), timed_out.clone()));
                }
                let shell = self.clone();
                spawn_local(async move {
                    let result = transport::send(shell.fetch.as_ref(), &http, timeout_ms, abort.as_ref(), &timed_out).await;
                    shell.io.borrow_mut().requests.retain(|(r, ..)| *r != request);
                    shell.handle(move |m, now| match result {
                        Ok(response) => m.token_response(now, request, response),
                        Err(failure) => m.token_request_failed(now, request, failure),
                    });
                });
            }
            Action::Sign { op, input } => {
                // The import starts here, with the key borrowed only for it.
                let (import, algorithm) = {
                    let manager = self.manager.borrow();
                    let key = manager.config().credentials.signing_key();
                    (self.signer.import(key), key.map(|k| k.algorithm))
                };
                let Some(algorithm) = algorithm else { return };
                let shell = self.clone();
                spawn_local(async move {
                    let result = shell.signer.sign(algorithm, import, input).await;
                    shell.handle(move |m, now| m.signed(now, op, result));
                });
            }
            Action::AbortTokenRequest(request) => {
                let out = self.io.borrow().requests.iter().find(|(r, ..)| *r == request).map(|(_, abort, timed_out)| (abort.clone(), timed_out.clone()));
                if let Some((abort, timed_out)) = out {
                    timed_out.set(true);
                    abort.abort();
                }
            }
            Action::ReadStore { op, .. } => self.store_call(op, StoreCall::Read),
            Action::AcquireLease { op, ttl_ms, bound_ms, .. } => self.store_call(op, StoreCall::Lease { ttl_ms, bound_ms }),
            Action::WriteStore { op, value, ttl_seconds, .. } => self.store_call(op, StoreCall::Write { value, ttl_seconds }),
            Action::Resolve { caller, access_token } => {
                if let Some(c) = self.take_caller(caller) {
                    let _ = c.resolve.call1(&JsValue::UNDEFINED, &JsValue::from_str(access_token.expose()));
                }
            }
            Action::Reject { caller, failure } => {
                if let Some(c) = self.take_caller(caller) {
                    let _ = c.reject.call1(&JsValue::UNDEFINED, &to_js(&failure));
                }
            }
            Action::Publish(published) => {
                let Some(hook) = &self.publish else { return };
                let _ = match published {
                    Some(p) => {
                        let headers = header_list(&self.manager.borrow().api_headers(p.access_token.expose()));
                        hook.call3(&JsValue::UNDEFINED, &JsValue::from_str(p.access_token.expose()), &JsValue::from_f64(p.until as f64), &headers)
                    }
                    None => hook.call3(&JsValue::UNDEFINED, &JsValue::UNDEFINED, &JsValue::from_f64(0.0), &JsValue::UNDEFINED),
                };
            }
            Action::OnToken(info) => {
                // Whatever it throws or rejects with stays contained.
                let Some(callback) = &self.on_token else { return };
                if let Ok(returned) = callback.call1(&JsValue::UNDEFINED, &token_info(&info)) {
                    if returned.is_object() {
                        ignore(&Promise::resolve(&returned));
                    }
                }
            }
            Action::ReportStoreError(message) => {
                if let Some(store) = &self.store {
                    store.report(message);
                }
            }
            Action::WaitUntil { caller, flight } => {
                let wait_until = self.io.borrow().callers.iter().find(|c| c.id == caller).and_then(|c| c.wait_until.clone());
                let Some(wait_until) = wait_until else { return };
                let mut settle = None;
                let promise = Promise::new(&mut |resolve, _| settle = Some(resolve));
                if let Some(resolve) = settle {
                    self.io.borrow_mut().held_open.push((flight, resolve));
                }
                let _ = wait_until.call1(&JsValue::UNDEFINED, &promise);
            }
            Action::FlightEnded(flight) => {
                let ended: Vec<Function> = {
                    let mut io = self.io.borrow_mut();
                    let (ended, open) = core::mem::take(&mut io.held_open).into_iter().partition(|(f, _)| *f == flight);
                    io.held_open = open;
                    ended.into_iter().map(|(_, resolve)| resolve).collect()
                };
                for resolve in ended {
                    let _ = resolve.call1(&JsValue::UNDEFINED, &JsValue::UNDEFINED);
                }
            }
        }
    }

    /// One store call, as its own task, answered to the manager.
    fn store_call(self: &Rc<Self>, op: StoreOpId, call: StoreCall) {
        let shell = self.clone();
        spawn_local(async move {
            let Some(store) = &shell.store else { return };
            // A read's values are read (and written) bound to the key.
            let result = store.call(&call, |key| shell.manager.borrow_mut().set_store_key(key.to_owned())).await;
            shell.store_answer(op, &call, result);
        });
    }

    /// Tells the manager how a store call ended, after reporting its failure.
    #[inline(never)]
    fn store_answer(self: &Rc<Self>, op: StoreOpId, call: &StoreCall, result: Result<JsValue, String>) {
        match call {
            StoreCall::Read => {
                let answer = match result.and_then(read_answer) {
                    Ok(Some(text)) => StoreAnswer::Value(text),
                    Ok(None) => StoreAnswer::Miss,
                    Err(failure) => {
                        self.report_store_failure(&failure, None);
                        StoreAnswer::Failed
                    }
                };
                self.handle(move |m, now| m.store_read(now, op, answer));
            }
            StoreCall::Lease { .. } => {
                let answer = match result {
                    Ok(v) if v.is_truthy() => LeaseAnswer::Granted,
                    Ok(_) => LeaseAnswer::Held,
                    Err(failure) => {
                        self.report_store_failure(&failure, None);
                        LeaseAnswer::Failed
                    }
                };
                self.handle(move |m, now| m.lease_answer(now, op, answer));
            }
            StoreCall::Write { value, .. } => {
                if let Err(failure) = result {
                    self.report_store_failure(&failure, Some(value));
                }
                self.handle(move |m, now| m.store_written(now, op));
            }
        }
    }

    /// Reports a store's failure to `onStoreError`, cleaned of every secret
    /// (and of `value`, the entry being written, which its error may quote).
    fn report_store_failure(&self, failure: &str, value: Option<&Secret>) {
        let Some(store) = &self.store else { return };
        let clean = self.manager.borrow().safe_message(failure, &[value.map_or("", Secret::expose)]);
        store.report(&clean);
    }

    fn take_caller(&self, id: CallerId) -> Option<Caller> {
        let mut io = self.io.borrow_mut();
        let i = io.callers.iter().position(|c| c.id == id)?;
        Some(io.callers.swap_remove(i))
    }

    /// Arms the timer `poll_timeout()` asks for, unless it is armed already.
    fn rearm(self: &Rc<Self>) {
        let wanted = self.manager.borrow().poll_timeout();
        let mut io = self.io.borrow_mut();
        if io.timer.as_ref().map(|(t, _)| *t) == wanted {
            return;
        }
        // Dropping the old one clears it.
        io.timer = wanted.map(|timeout| (timeout, self.timer(timeout.at.saturating_sub(now()), timeout.background, true)));
    }

    /// A timer that tells the manager it fired: the one `poll_timeout()`
    /// asks for (`polled`), or a caller's. It holds the shell weakly: a
    /// client dropped without free() is not kept alive by its timer.
    fn timer(self: &Rc<Self>, delay_ms: u64, background: bool, polled: bool) -> Timer {
        let weak = Rc::downgrade(self);
        Timer::start(delay_ms, background, move || {
            if let Some(shell) = weak.upgrade() {
                // The polled timer is taken out first, so that the next one
                // is armed afresh even for the same time.
                let fired = if polled { shell.io.borrow_mut().timer.take() } else { None };
                let used = shell.published_token_used();
                shell.handle(|m, now| {
                    if used {
                        m.published_used();
                    }
                    m.timer(now)
                });
                drop(fired);
            }
        })
    }
}

/// The wasm class behind the package's `AuthClient` (see `pkg-template/api.js`).
#[wasm_bindgen]
pub struct WasmAuthClient {
    shell: Rc<Shell>,
}

#[wasm_bindgen]
impl WasmAuthClient {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue, publish: Option<Function>, published_used: Option<Function>) -> Result<WasmAuthClient, JsValue> {
        // typeof, not instanceof: options may come from another realm.
        if !options.is_object() || options.is_function() {
            return Err(to_js(&Failure::new(ErrorCode::InvalidConfig, "options must be an object, e.g. new AuthClient({ provider: \"younium\", … })")));
        }
        let js: &JsOptions = options.unchecked_ref();
        let config = Config::from_options(js).map_err(|f| to_js(&f))?;
        let function = |name: &'static str| js.function(name).map_err(|name| to_js(&Failure::config(name, "must be a function")));
        let fetch = function("fetch")?;
        let on_token = function("onToken")?;
        let on_store_error = function("onStoreError")?;
        let store = js.store_option().map_err(|reason| to_js(&Failure::config("store", reason)))?;
        let store = store.map(|s| SharedStore::new(s, on_store_error, &config));

        let workerd = in_workerd();
        let background = config.auto_refresh.unwrap_or(!workerd);
        let timers = background && !workerd;
        let seed = (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64;
        let lease = store.as_ref().is_some_and(SharedStore::has_lease);
        let settings = Settings { background, timers, store: store.is_some(), lease, seed };
        let manager = TokenManager::new(config, settings, now());
        let shell = Rc::new(Shell { manager: RefCell::new(manager), fetch, on_token, store, published_used, publish, workerd, signer: Signer::default(), io: RefCell::new(Io::default()) });

        if timers {
            let weak = Rc::downgrade(&shell);
            let listener = PageListener::add(move || {
                if let Some(shell) = weak.upgrade() {
                    let used = shell.published_token_used();
                    shell.handle(|m, now| {
                        if used {
                            m.published_used();
                        }
                        m.page_visible(now)
                    });
                }
            });
            shell.io.borrow_mut().page_listener = listener;
        }
        Ok(WasmAuthClient { shell })
    }

    /// A caller asks for a token: `resolve` or `reject` settles its own
    /// promise. `waitUntil` (a Workers `ctx.waitUntil`, bound) keeps a token
    /// request the call starts alive after the call's request ends. Returns
    /// the caller's id, for `giveUp`.
    #[wasm_bindgen(js_name = getToken)]
    pub fn ask(&self, wait_until: Option<Function>, resolve: Function, reject: Function) -> f64 {
        let shell = &self.shell;
        let id = shell.manager.borrow_mut().ask(now(), wait_until.is_some());
        shell.io.borrow_mut().callers.push(Caller { id, resolve, reject, wait_until, _bound: None });
        shell.drain();
        let waiting = shell.workerd && shell.io.borrow().callers.iter().any(|c| c.id == id);
        if waiting {
            let bound = shell.manager.borrow().caller_bound_ms();
            let timer = shell.timer(bound, false, false);
            if let Some(c) = shell.io.borrow_mut().callers.iter_mut().find(|c| c.id == id) {
                c._bound = Some(timer);
            }
        }
        id.0 as f64
    }

    /// The caller's signal aborted (the JS face rejects it): the manager
    /// forgets it; the token request others share goes on.
    #[wasm_bindgen(js_name = giveUp)]
    pub fn give_up(&self, caller: f64) {
        let id = CallerId(caller as u64);
        drop(self.shell.take_caller(id));
        self.shell.handle(|m, now| m.give_up(now, id));
    }

    /// `tokenInfo()` for `access` if it is still the cached token (an
    /// `invalidate()` may have dropped it since the caller got it), else
    /// `undefined`. The JS face loops over a token and this.
    #[wasm_bindgen(js_name = infoFor)]
    pub fn info_for(&self, access: &str) -> JsValue {
        self.shell.manager.borrow().info_for(access).map_or(JsValue::UNDEFINED, |info| token_info(&info))
    }

    /// The headers an API call gets with `access`, as `[name, value, replace]`.
    #[wasm_bindgen(js_name = headerList)]
    pub fn header_list(&self, access: &str) -> JsValue {
        header_list(&self.shell.manager.borrow().api_headers(access))
    }

    /// An API answered a call made with `access` with a 401 (`accepted`:
    /// an API answered one made with it otherwise before). Whether to send
    /// the call again, with a new token (docs/API.md §4).
    pub fn refuse(&self, access: &str, accepted: bool) -> bool {
        let mut again = false;
        self.shell.handle(|m, now| again = m.refuse(now, access, accepted));
        again
    }

    /// `text` (an API call's failure, from a runtime or a custom fetch)
    /// without any secret, the call's `token` included, or hidden character.
    #[wasm_bindgen(js_name = safeMessage)]
    pub fn safe_message(&self, text: &str, token: &str) -> String {
        self.shell.manager.borrow().safe_message(text, &[token])
    }

    /// What the JS face reads once, when it is made:
    /// `[fetch, apiBase, allowedOrigins]`, the `fetch` option (for its own
    /// API calls), what relative URLs are joined to, and the
    /// `allowedOrigins` option as given (for its origin check). One export
    /// rather than three getters, each a glue method and an export.
    #[wasm_bindgen(js_name = faceOptions)]
    pub fn face_options(&self) -> js_sys::Array {
        let manager = self.shell.manager.borrow();
        let config = manager.config();
        let fetch = self.shell.fetch.clone().map_or(JsValue::UNDEFINED, JsValue::from);
        let base = config.api_base.as_deref().map_or(JsValue::UNDEFINED, JsValue::from_str);
        let origins: js_sys::Array = config.allowed_origins.iter().map(|o| JsValue::from_str(o)).collect();
        js_sys::Array::of3(&fetch, &base, &origins)
    }

    pub fn invalidate(&self) {
        self.shell.handle(|m, now| m.invalidate(now));
    }

    /// `free()`: the manager rejects whoever waits and stops; here every
    /// token request out is aborted, and the timer and the page listener go.
    pub fn dispose(&self) {
        self.shell.handle(|m, now| m.free(now));
        let (requests, timer, listener) = {
            let mut io = self.shell.io.borrow_mut();
            (core::mem::take(&mut io.requests), io.timer.take(), io.page_listener.take())
        };
        for (_, abort, _) in requests {
            abort.abort();
        }
        drop((timer, listener));
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
