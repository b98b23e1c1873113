//! edge-auth: access tokens for vendor APIs, from any JavaScript runtime.
//!
//! The crate has two halves, and the folders show which is which:
//!
//! - [`core`]: a sans-IO core in plain Rust (no wasm types, no clock, no
//!   network). It validates options, builds each vendor's token request,
//!   parses the response into a token or a typed error, computes expiry and
//!   decides what the cache does next. It is tested natively with
//!   `cargo test`.
//! - `js` (wasm32 only): the shell around the core, an executor of the
//!   core's token manager: the client class exported to JavaScript, token
//!   requests and the store's I/O with web-sys, timers, signing with
//!   `crypto.subtle`, the host's `JSON.parse` for JSON text, JS errors. The
//!   public class and `client.fetch`'s hot path (a fresh token needs no
//!   wasm call) are JavaScript in `pkg-template/`.
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
