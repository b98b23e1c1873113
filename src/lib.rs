//! edge-auth: access tokens for vendor APIs, from any JavaScript runtime.
//!
//! The crate has two halves, and the folders show which is which:
//!
//! - [`core`]: a sans-IO core in plain Rust (no wasm types, no clock, no
//!   network). It validates options, builds each vendor's token request,
//!   parses the response into a token or a typed error, computes expiry and
//!   decides what the cache does next. It is tested natively with
//!   `cargo test`.
//! - `js` (wasm32 only): the thin shell that does the I/O the core asks
//!   for: `fetch`, the clock, timers, JS errors, and the `AuthClient`
//!   class exported to JavaScript.
#![forbid(unsafe_op_in_unsafe_fn)]

pub mod core;

#[cfg(target_arch = "wasm32")]
mod js;
