//! The executor's tests (wasm-bindgen-test), run by `make test-wasm` in
//! Node and in headless Chromium: the shell driving the real token manager
//! with a stub `fetch` option and a memory store, checked from both sides
//! (what JavaScript sees, and what the shell holds).

use super::WasmAuthClient;
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen(inline_js = r#"
export function options(extra) {
  return { provider: "oauth2", tokenUrl: "https://auth.example.test/token", clientId: "wasm-test", clientSecret: "wasm-test-secret", ...extra };
}
// Answers every token request with tok-1, tok-2, … living `lifetime` seconds.
export function stubFetch(lifetime) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, init });
    const body = JSON.stringify({ token_type: "Bearer", access_token: `tok-${calls.length}`, expires_in: lifetime });
    return new Response(body, { status: 200, headers: { "content-type": "application/json" } });
  };
  fetch.calls = calls;
  return fetch;
}
// Never answers (and ignores its signal).
export function hangingFetch() {
  const calls = [];
  const fetch = (url, init) => {
    calls.push({ url, init });
    return new Promise(() => {});
  };
  fetch.calls = calls;
  return fetch;
}
// Answers only by rejecting when its signal aborts.
export function abortableFetch() {
  const calls = [];
  const fetch = (url, init) => {
    calls.push({ url, init });
    return new Promise((_, reject) => init.signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError"))));
  };
  fetch.calls = calls;
  return fetch;
}
// A waitUntil that records the promises it is given.
export function waitUntilLog() {
  const promises = [];
  const waitUntil = (p) => promises.push(p);
  waitUntil.promises = promises;
  return waitUntil;
}
export const promisesOf = (waitUntil) => waitUntil.promises;
export const calls = (fetch) => fetch.calls.length;
export const call = (fetch, i) => fetch.calls[i];
export function memoryStore() {
  const data = new Map();
  const puts = [];
  return {
    data,
    puts,
    async get(key) { return data.has(key) ? data.get(key) : null; },
    async put(key, value, options) { puts.push({ key, value, options }); data.set(key, value); },
  };
}
export function leaseStore(granted) {
  const store = memoryStore();
  store.leases = [];
  store.lease = (key, ttlMs, boundMs) => {
    store.leases.push({ key, ttlMs, boundMs });
    return Promise.resolve(granted);
  };
  return store;
}
export function putLater(store, key, value, ms) {
  setTimeout(() => store.data.set(key, value), ms);
}
export function publishLog() {
  const log = [];
  const hook = (token, until, list) => log.push({ token, until, list });
  hook.log = log;
  return hook;
}
export const published = (hook) => hook.log.at(-1);
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const get = (object, key) => object?.[key];
"#)]
extern "C" {
    fn options(extra: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = stubFetch)]
    fn stub_fetch(lifetime: u32) -> Function;
    #[wasm_bindgen(js_name = hangingFetch)]
    fn hanging_fetch() -> Function;
    #[wasm_bindgen(js_name = abortableFetch)]
    fn abortable_fetch() -> Function;
    #[wasm_bindgen(js_name = waitUntilLog)]
    fn wait_until_log() -> Function;
    #[wasm_bindgen(js_name = promisesOf)]
    fn promises_of(wait_until: &Function) -> js_sys::Array;
    fn calls(fetch: &Function) -> u32;
    fn call(fetch: &Function, i: u32) -> JsValue;
    #[wasm_bindgen(js_name = memoryStore)]
    fn memory_store() -> JsValue;
    #[wasm_bindgen(js_name = leaseStore)]
    fn lease_store(granted: bool) -> JsValue;
    #[wasm_bindgen(js_name = putLater)]
    fn put_later(store: &JsValue, key: &str, value: &str, ms: u32);
    #[wasm_bindgen(js_name = publishLog)]
    fn publish_log() -> Function;
    fn published(hook: &Function) -> JsValue;
    fn sleep(ms: u32) -> Promise;
    fn get(object: &JsValue, key: &str) -> JsValue;
}

/// `{ key: value, … }`.
fn object(pairs: &[(&str, &JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &JsValue::from_str(k), v).unwrap();
    }
    o.into()
}

fn client(extra: &[(&str, &JsValue)], publish: Option<Function>) -> WasmAuthClient {
    WasmAuthClient::new(options(&object(extra)), publish, None).expect("valid options")
}

/// A caller's own promise, as the JS face makes it.
fn ask(client: &WasmAuthClient) -> Promise {
    Promise::new(&mut |resolve, reject| {
        client.ask(None, resolve, reject);
    })
}

async fn token(client: &WasmAuthClient) -> String {
    JsFuture::from(ask(client)).await.expect("a token").as_string().expect("a string")
}

async fn pause(ms: u32) {
    JsFuture::from(sleep(ms)).await.unwrap();
}

#[wasm_bindgen_test]
fn the_hosts_json_parse_keeps_the_core_readers_rules() {
    crate::core::json::reader_rules();
}

#[wasm_bindgen_test]
fn every_option_the_core_reads_has_a_getter() {
    assert_eq!(super::super::options::unreadable_options(), Vec::<&str>::new());
}

#[wasm_bindgen_test]
async fn a_token_request_goes_through_the_fetch_option() {
    let fetch = stub_fetch(3600);
    let c = client(&[("fetch", &fetch), ("autoRefresh", &JsValue::FALSE)], None);
    assert_eq!(token(&c).await, "tok-1");
    assert_eq!(calls(&fetch), 1);
    let sent = call(&fetch, 0);
    assert_eq!(get(&sent, "url").as_string().as_deref(), Some("https://auth.example.test/token"));
    let init = get(&sent, "init");
    assert_eq!(get(&init, "method").as_string().as_deref(), Some("POST"));
    assert_eq!(get(&init, "redirect").as_string().as_deref(), Some("manual"));
    let body = get(&init, "body").as_string().unwrap();
    assert!(body.contains("\"client_id\":\"wasm-test\""), "{body}");
    // Cached: no second request.
    assert_eq!(token(&c).await, "tok-1");
    assert_eq!(calls(&fetch), 1);
    // Nothing left to wait for but nothing armed either (no auto-refresh).
    assert!(c.shell.manager.borrow().poll_timeout().is_none());
    assert!(c.shell.io.borrow().timer.is_none());
    assert!(c.shell.io.borrow().requests.is_empty());
}

#[wasm_bindgen_test]
async fn concurrent_callers_share_one_token_request() {
    let fetch = stub_fetch(3600);
    let c = client(&[("fetch", &fetch), ("autoRefresh", &JsValue::FALSE)], None);
    let waiting: Vec<Promise> = (0..5).map(|_| ask(&c)).collect();
    assert_eq!(c.shell.io.borrow().callers.len(), 5, "five callers wait");
    for p in waiting {
        assert_eq!(JsFuture::from(p).await.unwrap().as_string().as_deref(), Some("tok-1"));
    }
    assert_eq!(calls(&fetch), 1, "one token request");
    assert!(c.shell.io.borrow().callers.is_empty());
}

#[wasm_bindgen_test]
async fn the_timer_refreshes_before_expiry_and_publishes_the_new_token() {
    // 2 s tokens, 1 s leeway: the timer fires an eighth of the leeway before
    // the renewal point, about 0.9 s after the token arrived.
    let fetch = stub_fetch(2);
    let hook = publish_log();
    let c = client(&[("fetch", &fetch), ("autoRefresh", &JsValue::TRUE), ("refreshLeewaySeconds", &JsValue::from(1))], Some(hook.clone()));
    assert_eq!(token(&c).await, "tok-1");
    assert_eq!(get(&published(&hook), "token").as_string().as_deref(), Some("tok-1"));
    let armed = c.shell.manager.borrow().poll_timeout().expect("the refresh timer");
    assert!(armed.background, "only the refresh timer waits: it must not keep a process alive");
    assert!(matches!(c.shell.io.borrow().timer, Some((_, super::Timer::Unrefd { .. }))));
    pause(1_500).await;
    assert_eq!(calls(&fetch), 2, "the timer made the second token request");
    assert_eq!(get(&published(&hook), "token").as_string().as_deref(), Some("tok-2"));
    assert_eq!(token(&c).await, "tok-2");
    c.dispose();
}

#[wasm_bindgen_test]
async fn free_rejects_waiting_callers_aborts_the_request_and_clears_the_timer() {
    let fetch = hanging_fetch();
    let hook = publish_log();
    let c = client(&[("fetch", &fetch), ("autoRefresh", &JsValue::TRUE)], Some(hook.clone()));
    let waiting = ask(&c);
    pause(20).await;
    assert_eq!(calls(&fetch), 1, "the token request is out");
    let signal: web_sys::AbortSignal = get(&get(&call(&fetch, 0), "init"), "signal").unchecked_into();
    assert!(!signal.aborted());
    assert!(c.shell.io.borrow().timer.is_some(), "a caller waits: the timer is armed for its bound");

    c.dispose();
    let error = JsFuture::from(waiting).await.expect_err("the waiting caller is rejected");
    assert_eq!(get(&error, "code").as_string().as_deref(), Some("invalid_config"));
    assert!(signal.aborted(), "the token request is aborted");
    assert!(c.shell.io.borrow().timer.is_none(), "no timer");
    assert!(c.shell.io.borrow().requests.is_empty());
    assert!(c.shell.manager.borrow().poll_timeout().is_none());
    assert!(get(&published(&hook), "token").is_undefined(), "the JS face's token is taken back");
    // Later calls are rejected at once, and send nothing.
    let later = JsFuture::from(ask(&c)).await.expect_err("a call after free()");
    assert_eq!(get(&later, "code").as_string().as_deref(), Some("invalid_config"));
    assert_eq!(calls(&fetch), 1);
}

#[wasm_bindgen_test]
async fn the_store_round_trip_shares_a_token_between_clients() {
    let store = memory_store();
    let fetch = stub_fetch(3600);
    let a = client(&[("fetch", &fetch), ("store", &store), ("autoRefresh", &JsValue::FALSE)], None);
    assert_eq!(token(&a).await, "tok-1");
    pause(20).await; // the write goes on after the callers have their token
    let puts: js_sys::Array = get(&store, "puts").unchecked_into();
    assert_eq!(puts.length(), 1, "one store write");
    let put = puts.get(0);
    let key = get(&put, "key").as_string().unwrap();
    assert!(key.starts_with("edge-auth:v2:") && key.len() == 13 + 64, "{key}");
    let ttl = get(&get(&put, "options"), "expirationTtl").as_f64().unwrap();
    assert!((60.0..=3600.0).contains(&ttl), "expirationTtl {ttl}");
    let value = get(&put, "value").as_string().unwrap();
    assert!(value.contains("\"accessToken\":\"tok-1\""), "{value}");
    assert!(!value.contains("wasm-test-secret"), "no credential in the stored value");

    // Another client with the same identity reads it and sends nothing.
    let other = stub_fetch(3600);
    let b = client(&[("fetch", &other), ("store", &store), ("autoRefresh", &JsValue::FALSE)], None);
    assert_eq!(token(&b).await, "tok-1");
    assert_eq!(calls(&other), 0);
}

#[wasm_bindgen_test]
async fn a_store_lease_granted_then_held_by_another_whose_token_is_taken() {
    // Granted: the lease is asked for with the hashed key, for timeoutMs + 1 s.
    let store = lease_store(true);
    let fetch = stub_fetch(3600);
    let a = client(&[("fetch", &fetch), ("store", &store), ("timeoutMs", &JsValue::from(2000)), ("autoRefresh", &JsValue::FALSE)], None);
    assert_eq!(token(&a).await, "tok-1");
    let leases: js_sys::Array = get(&store, "leases").unchecked_into();
    assert_eq!(leases.length(), 1, "one lease call");
    let lease = leases.get(0);
    let key = get(&lease, "key").as_string().unwrap();
    assert!(key.starts_with("edge-auth:v2:") && key.len() == 13 + 64, "{key}");
    assert_eq!(get(&lease, "ttlMs").as_f64(), Some(3000.0));
    assert_eq!(get(&lease, "boundMs").as_f64(), Some(1000.0));
    pause(20).await;
    let value = get(&js_sys::Array::from(&get(&store, "puts")).get(0), "value").as_string().unwrap();

    // Held by another, whose token lands 100 ms later: taken, no request.
    let held = lease_store(false);
    put_later(&held, &key, &value, 100);
    let other = stub_fetch(3600);
    let b = client(&[("fetch", &other), ("store", &held), ("timeoutMs", &JsValue::from(2000)), ("autoRefresh", &JsValue::FALSE)], None);
    assert_eq!(token(&b).await, "tok-1");
    assert_eq!(calls(&other), 0, "no token request while another holds the lease");
}

#[wasm_bindgen_test]
async fn the_managers_deadline_aborts_a_request_and_the_caller_gets_timeout() {
    let fetch = abortable_fetch();
    let c = client(&[("fetch", &fetch), ("timeoutMs", &JsValue::from(50)), ("autoRefresh", &JsValue::FALSE)], None);
    let error = JsFuture::from(ask(&c)).await.expect_err("no token");
    assert_eq!(get(&error, "code").as_string().as_deref(), Some("timeout"));
    let message = get(&error, "message").as_string().unwrap();
    assert!(message.contains("timed out after 50 ms (before a response arrived)"), "{message}");
    let signal: web_sys::AbortSignal = get(&get(&call(&fetch, 0), "init"), "signal").unchecked_into();
    assert!(signal.aborted());
    assert_eq!(calls(&fetch), 1, "a timeout is not retried");
}

#[wasm_bindgen_test]
async fn wait_until_gets_a_promise_that_settles_when_the_flight_ends() {
    let fetch = stub_fetch(3600);
    let c = client(&[("fetch", &fetch), ("autoRefresh", &JsValue::FALSE)], None);
    let wait_until = wait_until_log();
    let first = Promise::new(&mut |resolve, reject| {
        c.ask(Some(wait_until.clone()), resolve, reject);
    });
    assert_eq!(promises_of(&wait_until).length(), 1, "the caller that starts a flight hands it to waitUntil");
    JsFuture::from(first).await.unwrap();
    JsFuture::from(promises_of(&wait_until).get(0).unchecked_into::<Promise>()).await.expect("settles, and never rejects");
    // A caller served from the cache starts nothing: waitUntil is not called.
    let second = Promise::new(&mut |resolve, reject| {
        c.ask(Some(wait_until.clone()), resolve, reject);
    });
    JsFuture::from(second).await.unwrap();
    assert_eq!(promises_of(&wait_until).length(), 1);
}
