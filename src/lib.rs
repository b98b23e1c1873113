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

/// See Cargo.toml: a small allocator; the wasm is single-threaded.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
// SAFETY: wasm32-unknown-unknown without threads: only one thread ever allocates.
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
