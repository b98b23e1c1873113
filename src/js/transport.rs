//! One token request, as the token manager asked for it (`SendTokenRequest`):
//! sent with the `fetch` option (or the global `fetch`), read into a
//! `TokenResponse`, or the reason none arrived. What to send, and what the
//! answer means, are the core's; this is the I/O, in web-sys types:
//!
//! - one deadline (`timeoutMs`) covers the body too: the token manager
//!   keeps it and asks for the request's `AbortController` to be aborted
//!   (`timed_out` says that is why), as `free()` does;
//! - `redirect: "manual"`: a redirect would carry the credentials to
//!   wherever it points, so none is followed (the core refuses it);
//! - in a page, `credentials: "omit"` (no cookies, no login dialog);
//! - the body is read through its stream, at most `MAX_RESPONSE_BYTES + 1`
//!   bytes; a body declared longer is not read at all.

use super::error::describe_error;
use crate::core::dialect::HttpRequest;
use crate::core::manager::{ResponseBody, SendFailure, TokenResponse};
use crate::core::text::{concat, push_u64};
use crate::core::MAX_RESPONSE_BYTES;
use js_sys::{ArrayBuffer, Function, Promise, Uint8Array};
use std::cell::Cell;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Headers, ReadableStreamDefaultReader, ReadableStreamReadResult, RequestCredentials, RequestInit, RequestRedirect, Response};

#[wasm_bindgen]
extern "C" {
    /// `Uint8Array.prototype.set.call(into, from)`: copies `from` into wasm
    /// memory, as js-sys's `to_vec` and `copy_to` do, without their length
    /// assert (`assert_eq!` formats the lengths, which alone kept core's
    /// integer formatting in the wasm). `into` has `from`'s length.
    #[wasm_bindgen(js_namespace = Uint8Array, js_name = "prototype.set.call")]
    fn copy_into(into: &mut [u8], from: &Uint8Array);
}

/// The bytes of a JS `Uint8Array`, copied into a `Vec`.
pub(super) fn bytes_of(array: &Uint8Array) -> Vec<u8> {
    let mut out = vec![0; array.length() as usize];
    copy_into(&mut out, array);
    out
}

#[wasm_bindgen]
extern "C" {
    /// The global object, for the `fetch` it has at call time.
    type Global;
    #[wasm_bindgen(method, getter, structural)]
    fn fetch(this: &Global) -> JsValue;

    /// Whatever a configured `fetch` resolved to, before it is known to be a
    /// `Response` (checked by shape, not `instanceof`: it may come from
    /// another realm).
    type ResponseLike;

    /// A body stream or its reader: one `cancel()` import for both.
    type Cancellable;
    #[wasm_bindgen(method, js_name = cancel)]
    fn cancel(this: &Cancellable) -> Promise;
    #[wasm_bindgen(method, getter, structural, catch)]
    fn status(this: &ResponseLike) -> Result<JsValue, JsValue>;
}

thread_local! {
    static NOOP: Closure<dyn FnMut(JsValue)> = Closure::new(|_: JsValue| {});
}

/// Marks a promise whose outcome does not matter as handled, so that its
/// rejection is never reported as unhandled.
pub fn ignore(promise: &Promise) {
    // try_with: `with` panics with the access error's Debug text, the only
    // Debug formatting left in the wasm. (The wasm never destroys its
    // thread-locals, so the error cannot happen.)
    let _ = NOOP.try_with(|noop| {
        let _ = promise.catch(noop);
    });
}

/// The body's cap: one byte more than the core reads, so that it can tell
/// a body that is too long.
const CAP: usize = MAX_RESPONSE_BYTES + 1;

/// Sends `request` and reads what arrives. `abort` ends it early (its
/// deadline, when `timed_out` is set, or `free()`).
pub async fn send(configured: Option<&Function>, request: &HttpRequest, timeout_ms: u32, abort: Option<&AbortController>, timed_out: &Cell<bool>) -> Result<TokenResponse, SendFailure> {
    let fetch = match configured {
        Some(f) => f.clone(),
        None => js_sys::global().unchecked_into::<Global>().fetch().dyn_into::<Function>().map_err(|_| no_fetch())?,
    };
    let headers = Headers::new().map_err(|_| no_fetch())?;
    for (name, value) in &request.headers {
        if headers.set(name, value.expose()).is_err() {
            return Err(SendFailure::Config(concat(&["header `", name, "` has a value fetch cannot send"])));
        }
    }
    let init = RequestInit::new();
    init.set_method(request.method);
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(request.body.expose()));
    init.set_redirect(RequestRedirect::Manual);
    // In a page, no cookies for token requests, and no login dialog: a
    // browser answers a same-origin 401 with `WWW-Authenticate: Basic` by
    // prompting for a password unless credentials are omitted (Fetch,
    // HTTP-network-or-cache fetch). Only there: workerd refuses
    // `credentials` under older compatibility dates.
    if super::timer::in_page() {
        init.set_credentials(RequestCredentials::Omit);
    }
    if let Some(abort) = abort {
        init.set_signal(Some(&abort.signal()));
    }
    let failed = |error: JsValue, during: &str| failure(timed_out.get(), timeout_ms, &error, during);

    const BEFORE: &str = "before a response arrived";
    let sent = fetch.call2(&js_sys::global(), &JsValue::from_str(&request.url), &init).map_err(|e| failed(e, BEFORE))?;
    let arrived = JsFuture::from(Promise::resolve(&sent)).await.map_err(|e| failed(e, BEFORE))?;
    let Some(response) = as_response(arrived) else {
        return Err(failed(js_sys::TypeError::new("fetch resolved to something that is not a Response").into(), BEFORE));
    };
    let headers = response.headers();
    let mut arrival = TokenResponse {
        status: response.status(),
        date: header(&headers, "date"),
        retry_after: header(&headers, "retry-after"),
        www_authenticate: header(&headers, "www-authenticate"),
        body: ResponseBody::Bytes(Vec::new()),
    };
    let declared = header(&headers, "content-length").and_then(|l| content_length(&l));
    // A redirect (the core refuses it) or a body declared too long: not read.
    let redirect = arrival.status == 0 || (300..400).contains(&arrival.status);
    if redirect || declared.is_some_and(|n| n >= CAP as u64) {
        if !redirect {
            arrival.body = ResponseBody::TooLarge;
        }
        cancel(&response);
        return Ok(arrival);
    }
    arrival.body = ResponseBody::Bytes(read_capped(&response, declared).await.map_err(|e| failed(e, "while reading the response"))?);
    Ok(arrival)
}

/// Why a token request produced no response: its deadline, or the error.
#[inline(never)]
fn failure(timed_out: bool, timeout_ms: u32, error: &JsValue, during: &str) -> SendFailure {
    if timed_out {
        let mut m = String::from("token request timed out after ");
        push_u64(&mut m, timeout_ms.into());
        m.push_str(" ms (");
        m.push_str(during);
        m.push(')');
        SendFailure::Timeout(m)
    } else {
        SendFailure::Network(concat(&["token request failed ", during, ": ", &describe_error(error)]))
    }
}

/// A response header, if the runtime lets us read it.
#[inline(never)]
fn header(headers: &Headers, name: &str) -> Option<String> {
    headers.get(name).ok().flatten()
}

fn no_fetch() -> SendFailure {
    SendFailure::Config("no global fetch in this runtime: pass the `fetch` option".into())
}

/// `value` if it has a Response's shape: a numeric `status` (a missing
/// `headers` reads as no headers).
fn as_response(value: JsValue) -> Option<Response> {
    let status = value.unchecked_ref::<ResponseLike>().status().ok()?;
    status.as_f64().is_some().then(|| value.unchecked_into())
}

/// A `Content-Length` value: digits, optionally after a `+`, around spaces.
fn content_length(value: &str) -> Option<u64> {
    let digits = value.trim().strip_prefix('+').unwrap_or(value.trim());
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.bytes().fold(0u64, |n, b| n.saturating_mul(10).saturating_add(u64::from(b - b'0'))))
}

/// Lets go of a body that will not be read.
pub fn cancel(response: &Response) {
    if let Some(body) = response.body() {
        if !body.locked() {
            ignore(&body.unchecked_ref::<Cancellable>().cancel());
        }
    }
}

/// At most `CAP` bytes of the body; the stream is cancelled there, or once
/// the declared length has arrived (which saves a last read: 8 crossings
/// of the wasm boundary).
async fn read_capped(response: &Response, declared: Option<u64>) -> Result<Vec<u8>, JsValue> {
    let mut out = Vec::new();
    let Some(stream) = response.body() else { return Ok(out) };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    while out.len() < CAP {
        let chunk: ReadableStreamReadResult = JsFuture::from(reader.read()).await?.unchecked_into();
        if chunk.get_done().unwrap_or(false) {
            return Ok(out);
        }
        let value = chunk.get_value();
        if !ArrayBuffer::is_view(&value) {
            ignore(&reader.unchecked_ref::<Cancellable>().cancel());
            return Err(js_sys::TypeError::new("response body stream gave a chunk that is not a Uint8Array").into());
        }
        // Checked by shape: another realm's Uint8Array is not an instance of ours.
        let bytes: Uint8Array = value.unchecked_into();
        let length = bytes.length() as usize;
        let take = length.min(CAP - out.len());
        // Appended whole rather than copied into a slice of `out`: the slicing
        // brings a panic path that formats integers.
        let chunk = if take < length { bytes.subarray(0, take as u32) } else { bytes };
        out.extend_from_slice(&bytes_of(&chunk));
        if declared == Some(out.len() as u64) {
            break;
        }
    }
    ignore(&reader.unchecked_ref::<Cancellable>().cancel());
    Ok(out)
}
