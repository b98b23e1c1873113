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

use super::error::{js_error, to_js};
use super::options::JsOptions;
use super::transport::{self, now};
use crate::core::cache::{Next, TokenCache};
use crate::core::config::Config;
use crate::core::dialect::{build_request, Grant};
use crate::core::error::{ErrorCode, Failure};
use crate::core::response::{self, Arrival, Token};
use js_sys::{Function, Object, Promise};
use serde::Serialize;
use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

pub(super) struct Inner {
    pub config: Config,
    fetch: Option<Function>,
    on_token: Option<Function>,
    state: RefCell<State>,
}

struct State {
    cache: TokenCache,
    /// The promise of the token request in flight, by flight id.
    pending: Option<(u64, Promise)>,
    freed: bool,
}

/// What `tokenInfo()` and `onToken` receive. Never a credential or refresh token.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenInfo<'a> {
    access_token: &'a str,
    token_type: &'a str,
    expires_at: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_expires_at: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
}

fn token_info(token: &Token) -> JsValue {
    let info = TokenInfo {
        access_token: token.access_token.expose(),
        token_type: &token.token_type,
        expires_at: token.expires_at as f64,
        refresh_expires_at: token.refresh_expires_at.filter(|t| *t != u64::MAX).map(|t| t as f64),
        scope: token.scope.as_deref(),
    };
    serde_wasm_bindgen::to_value(&info).unwrap_or(JsValue::UNDEFINED)
}

fn freed_error() -> JsValue {
    js_error(ErrorCode::InvalidConfig, "this AuthClient has been freed; create a new one")
}

impl Inner {
    /// How long a flight may be joined: two token requests (union's refresh
    /// grant, then its password fallback), each up to `timeoutMs`, plus slack.
    fn stale_after_ms(&self) -> u64 {
        u64::from(self.config.timeout_ms) * 2 + 1000
    }

    fn check_live(&self) -> Result<(), JsValue> {
        if self.state.borrow().freed {
            Err(freed_error())
        } else {
            Ok(())
        }
    }

    /// A valid access token: cached, joined from the flight in progress, or
    /// from a new token request.
    pub async fn token(self: &Rc<Self>) -> Result<String, JsValue> {
        loop {
            let now = now();
            let wait = {
                let state = self.state.borrow();
                if state.freed {
                    return Err(freed_error());
                }
                match state.cache.next(now, self.stale_after_ms()) {
                    Next::Use => match state.cache.fresh(now) {
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
            let (promise, deadline) = match wait {
                Wait::Join(promise) => (promise, Some(self.stale_after_ms())),
                Wait::Start => (self.start_flight(now), None),
            };
            match wait_for(promise, deadline).await {
                Some(Ok(token)) => return token.as_string().ok_or_else(|| js_error(ErrorCode::InvalidResponse, "token request gave no token")),
                Some(Err(error)) => return Err(error),
                // The flight we joined outlived its deadline: its promise may
                // belong to a request that has ended. Go round and start one.
                None => continue,
            }
        }
    }

    fn start_flight(self: &Rc<Self>, now: u64) -> Promise {
        let id = self.state.borrow_mut().cache.begin(now);
        let promise = future_to_promise(acquire(self.clone(), id));
        self.state.borrow_mut().pending = Some((id, promise.clone()));
        promise
    }

    /// One token acquisition, with union's refresh grant where it applies
    /// and the password grant as its fallback when the refresh token is refused.
    async fn request_token(&self) -> Result<Token, Failure> {
        let (request, refreshing) = {
            let state = self.state.borrow();
            let grant = state.cache.grant(now());
            (build_request(&self.config, grant), matches!(grant, Grant::Refresh(_)))
        };
        let result = self.exchange(&request).await;
        match result {
            Err(f) if refreshing && matches!(f.status, Some(400 | 401)) => {
                self.state.borrow_mut().cache.drop_refresh_token();
                self.exchange(&build_request(&self.config, Grant::Credentials)).await
            }
            other => other,
        }
    }

    async fn exchange(&self, request: &crate::core::dialect::HttpRequest) -> Result<Token, Failure> {
        let fetch = transport::resolve_fetch(self.fetch.as_ref())?;
        let arrived = transport::send(&fetch, request, self.config.timeout_ms).await?;
        let arrival = Arrival { status: arrived.status, at: arrived.at, date: arrived.date.as_deref(), retry_after: arrived.retry_after.as_deref() };
        let state = self.state.borrow();
        let mut secrets = self.config.credentials.secrets();
        if let Some(t) = state.cache.token() {
            secrets.push(t.access_token.expose());
            if let Some(rt) = &t.refresh_token {
                secrets.push(rt.expose());
            }
        }
        response::parse(self.config.provider, arrival, &arrived.body, &secrets)
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

    pub fn invalidate_token(&self, access_token: &str) {
        self.state.borrow_mut().cache.invalidate_token(access_token);
    }
}

enum Wait {
    Join(Promise),
    Start,
}

/// Awaits `promise`, or gives up after `deadline_ms` (`None` when it did).
/// The timer exists only while a joined flight is awaited and is cleared
/// as soon as the promise settles.
async fn wait_for(promise: Promise, deadline_ms: Option<u64>) -> Option<Result<JsValue, JsValue>> {
    let mut shared = JsFuture::from(promise);
    let Some(ms) = deadline_ms else { return Some(shared.await) };
    let mut timer = gloo_timers::future::TimeoutFuture::new(ms.min(i32::MAX as u64) as u32);
    poll_fn(|cx| {
        if let Poll::Ready(r) = Pin::new(&mut shared).poll(cx) {
            return Poll::Ready(Some(r));
        }
        if Pin::new(&mut timer).poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await
}

/// The body of a flight: request, then record the outcome in the cache.
async fn acquire(inner: Rc<Inner>, id: u64) -> Result<JsValue, JsValue> {
    let result = inner.request_token().await;
    let mut state = inner.state.borrow_mut();
    if state.pending.as_ref().is_some_and(|(pid, _)| *pid == id) {
        state.pending = None;
    }
    match result {
        Ok(token) => {
            let access = JsValue::from_str(token.access_token.expose());
            let info = inner.on_token.is_some().then(|| token_info(&token));
            state.cache.finish(id, Some(token));
            drop(state);
            if let Some(info) = info {
                inner.notify(&info);
            }
            Ok(access)
        }
        Err(failure) => {
            state.cache.finish(id, None);
            Err(to_js(&failure))
        }
    }
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
/// which adds `free()` semantics the contract asks for).
#[wasm_bindgen]
pub struct WasmAuthClient {
    inner: Rc<Inner>,
}

#[wasm_bindgen]
impl WasmAuthClient {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<WasmAuthClient, JsValue> {
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
        check_store(&js.raw("store")).map_err(|reason| to_js(&Failure::config("store", reason)))?;
        let cache = TokenCache::new(config.leeway_ms);
        Ok(WasmAuthClient {
            inner: Rc::new(Inner { config, fetch, on_token, state: RefCell::new(State { cache, pending: None, freed: false }) }),
        })
    }

    #[wasm_bindgen(js_name = getToken)]
    pub fn get_token(&self) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move { inner.token().await.map(JsValue::from) })
    }

    #[wasm_bindgen(js_name = tokenInfo)]
    pub fn token_info(&self) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            loop {
                let access = inner.token().await?;
                let state = inner.state.borrow();
                // Between the token arriving and now, an invalidate() may have
                // dropped it; then go round for the next one.
                if let Some(t) = state.cache.token().filter(|t| t.access_token.expose() == access) {
                    return Ok(token_info(t));
                }
            }
        })
    }

    #[wasm_bindgen(js_name = authHeaders)]
    pub fn auth_headers(&self) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let access = inner.token().await?;
            let headers = Object::new();
            for h in crate::core::headers::api_headers(&inner.config, &access) {
                let _ = js_sys::Reflect::set(&headers, &JsValue::from_str(h.name), &JsValue::from_str(&h.value));
            }
            Ok(headers.into())
        })
    }

    pub fn fetch(&self, input: JsValue, init: JsValue) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            inner.check_live()?;
            super::api_fetch::fetch(&inner, input, init, inner.fetch.as_ref()).await
        })
    }

    pub fn invalidate(&self) {
        let mut state = self.inner.state.borrow_mut();
        state.cache.invalidate();
        state.pending = None;
    }

    /// Stops the client: drops the token, forgets the flight, refuses later calls.
    pub fn dispose(&self) {
        let mut state = self.inner.state.borrow_mut();
        state.freed = true;
        state.cache.invalidate();
        state.pending = None;
    }
}
