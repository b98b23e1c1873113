//! `client.fetch(input, init)`: `fetch` with the auth headers added (contract
//! section 4). Relative URLs are joined to `baseUrl`; `Authorization` is
//! always ours; Younium's `api-version` and `legal-entity` are added unless
//! the caller set them; a string body gets a JSON content type unless it
//! has one. After a 401 the token is dropped and the call is retried once,
//! if its body can be sent again. Anything else comes back as `fetch` gave it.

use super::client::Inner;
use super::error::{api_failure, describe, js_error};
use super::transport;
use crate::core::error::ErrorCode;
use crate::core::headers::api_headers;
use crate::core::url::{is_absolute, is_loopback_host, join};
use js_sys::{Function, Object, Reflect};
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Headers, Request, Response, Url};

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn is_request(value: &JsValue) -> bool {
    // `instanceof Request`, guarded: a runtime without the global is no error.
    let ctor = get(&js_sys::global(), "Request");
    ctor.is_function() && value.is_object() && value.is_instance_of::<Request>()
}

/// Resolves a string URL against the API base, as axios and ky do.
fn resolve(inner: &Inner, url: &str) -> Result<String, JsValue> {
    let base = inner.config.api_base.as_deref();
    if url.starts_with("//") {
        let scheme = base.and_then(|b| b.split_once("://")).map_or("https", |(s, _)| s);
        return Ok(format!("{scheme}:{url}"));
    }
    if is_absolute(url) {
        return Ok(url.to_owned());
    }
    match base {
        Some(b) => Ok(join(b, url)),
        None => Err(js_error(ErrorCode::InvalidConfig, "a relative URL was given to client.fetch but no `baseUrl` is configured")),
    }
}

/// A token goes over HTTPS only, except to loopback. Checked with the same
/// URL parser `fetch` uses, on the URL as `fetch` will see it.
fn check_transport(url: &str) -> Result<(), JsValue> {
    let parsed = Url::new(url).map_err(|_| js_error(ErrorCode::InvalidConfig, "client.fetch was given a malformed URL"))?;
    match parsed.protocol().as_str() {
        "https:" => Ok(()),
        "http:" if is_loopback_host(&parsed.hostname()) => Ok(()),
        _ => Err(js_error(
            ErrorCode::InvalidConfig,
            &format!("refusing to send a token to {}//{}: only https: URLs (or http: to loopback) get one", parsed.protocol(), parsed.host()),
        )),
    }
}

/// Whether `init.body` can be sent a second time. Streams and async
/// iterables are consumed by the first attempt.
fn replayable(body: &JsValue) -> bool {
    if body.is_undefined() || body.is_null() || body.is_string() {
        return true;
    }
    let stream_like = get(body, "getReader").is_function();
    let iterator = js_sys::Symbol::async_iterator();
    let async_iterable = Reflect::get(body, &iterator).map(|f| f.is_function()).unwrap_or(false);
    !(stream_like || async_iterable)
}

pub async fn fetch(inner: &Rc<Inner>, input: JsValue, init: JsValue, wait_until: Option<&Function>, refused: Option<String>) -> Result<JsValue, JsValue> {
    let init_given = init.is_object();
    let body = if init_given { get(&init, "body") } else { JsValue::UNDEFINED };

    let request: Option<&Request> = is_request(&input).then(|| input.unchecked_ref());

    // What to call fetch with, and for a Request with a body, a copy for the retry.
    let (target, mut replay): (JsValue, Option<JsValue>) = if let Some(request) = request {
        check_transport(&request.url())?;
        let needs_copy = request.body().is_some() && body.is_undefined();
        let copy = if needs_copy { request.clone().ok().map(JsValue::from) } else { Some(input.clone()) };
        (input.clone(), copy)
    } else {
        // A string, a URL object or anything with a string form, as fetch would read it.
        let text = match input.dyn_ref::<Object>() {
            Some(object) => String::from(object.to_string()),
            None => input.as_string().ok_or_else(|| js_error(ErrorCode::InvalidConfig, "client.fetch needs a URL string, a URL or a Request"))?,
        };
        let url = resolve(inner, &text)?;
        check_transport(&url)?;
        (JsValue::from_str(&url), None)
    };
    let can_retry = replayable(&body) && (replay.is_some() || request.is_none());
    // The caller's signal: it ends the wait for a token, and fetch gets it too.
    let signal_value = if init_given { get(&init, "signal") } else { JsValue::UNDEFINED };
    // (Checked for an object first: reading a property of undefined throws,
    // and a thrown exception on every call was the largest per-call cost.)
    let signal: Option<web_sys::AbortSignal> =
        if signal_value.is_object() { get(&signal_value, "aborted").as_bool().map(|_| signal_value.unchecked_into()) } else { None };

    let init_headers = if init_given { get(&init, "headers") } else { JsValue::UNDEFINED };
    let caller_headers = match request {
        Some(request) if init_headers.is_undefined() => request.headers().into(),
        _ => init_headers,
    };

    let fetch = transport::resolve_fetch(inner.configured_fetch()).map_err(|f| super::error::to_js(&f))?;
    let mut attempt_target = target;
    // The JS face made the first attempt itself and got a 401 with `refused`.
    let mut retried = false;
    if let Some(token) = refused {
        inner.invalidate_token(&token);
        retried = true;
    }
    loop {
        let token = inner.token_with(wait_until, signal.as_ref()).await?;
        let headers = headers_for(inner, &caller_headers, &token, body.is_string())?;
        let call_init = Object::new();
        if init_given {
            Object::assign(&call_init, init.unchecked_ref());
        }
        let _ = Reflect::set(&call_init, &JsValue::from_str("headers"), &headers);

        let response: Response = match transport::call(&fetch, &attempt_target, &call_init).await {
            Ok(r) => r,
            Err(e) => {
                return Err(api_failure(&e));
            }
        };
        if response.status() == 401 && !retried && can_retry {
            // The token was refused: drop it (unless someone already replaced
            // it), get another, and send the call again.
            transport::cancel(&response);
            inner.invalidate_token(&token);
            if let Some(copy) = replay.take() {
                attempt_target = copy;
            }
            retried = true;
            continue;
        }
        return Ok(response.into());
    }
}

fn headers_for(inner: &Inner, caller: &JsValue, token: &str, string_body: bool) -> Result<Headers, JsValue> {
    let headers = if caller.is_undefined() || caller.is_null() {
        Headers::new()
    } else {
        Headers::new_with_str_sequence_sequence(caller)
    }
    .map_err(|e| js_error(ErrorCode::InvalidConfig, &format!("init.headers is not valid: {}", describe(&e))))?;
    for h in api_headers(&inner.config, token) {
        if h.replace || !headers.has(h.name).unwrap_or(false) {
            headers.set(h.name, &h.value).map_err(|e| js_error(ErrorCode::InvalidConfig, &describe(&e)))?;
        }
    }
    if string_body && !headers.has("content-type").unwrap_or(true) {
        let _ = headers.set("content-type", "application/json");
    }
    Ok(headers)
}
