//! edge-auth: access tokens for vendor APIs, from any JavaScript runtime.
//!
//! The crate has two halves, and the folders show which is which:
//!
//! - [`core`]: a sans-IO core in plain Rust (no wasm types, no clock, no
//!   network). It validates options, builds each vendor's token request,
//!   parses the response into a token or a typed error, computes expiry and
//!   decides what the cache does next. It is tested natively with
//!   `cargo test`.
//! - `js` (wasm32 only): the shell around the core: the client class
//!   exported to JavaScript, single flight, refresh timers, retries, the
//!   shared store, JS errors. Its JS-shaped I/O (a token request's `fetch`
//!   and stream read, `client.fetch`, abort signals) is a few lines of
//!   JavaScript in `pkg-template/`, which the wasm imports: in Rust it cost
//!   many KB of wasm and a boundary crossing on every API call.
#![forbid(unsafe_op_in_unsafe_fn)]

pub mod core;

#[cfg(target_arch = "wasm32")]
mod js;

/// See Cargo.toml: a small allocator; the wasm is single-threaded. Every
/// block is zeroed before it is freed (`js::memory`).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
// SAFETY: wasm32-unknown-unknown without threads: only one thread ever allocates.
static ALLOCATOR: js::memory::WipeOnFree<lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator>> =
    js::memory::WipeOnFree(unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) });
