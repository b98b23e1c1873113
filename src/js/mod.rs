//! The wasm shell: the side of the wasm that touches JavaScript. It runs
//! the core's token manager (`core::manager`) and does the I/O it asks for,
//! and nothing else.
//!
//! - `client`: the exported client class, the manager's executor
//! - `transport`: one token request with `fetch` (deadline, size cap, no redirects)
//! - `store`: the shared store's key hash, `get` and `put`
//! - `sign`: an assertion's signature with `crypto.subtle` (the key imported once)
//! - `timer`: the manager's timer, and the page events that wake it
//! - `options`: typed getters for what comes in (options, the store's shape)
//! - `outbound`: what goes out as plain values (TokenInfo, header lists)
//! - `json`: the core's JSON reader, the host's `JSON.parse`
//! - `error`: building `AuthError` values
//! - `url`: the loopback rule, for the `fetch` wrapper in `pkg-template/api_fetch.js`
//! - `memory`: the allocator wrapper that zeroes every block it frees

mod client;
mod error;
pub(crate) mod json;
pub(crate) mod memory;
mod options;
mod outbound;
mod sign;
mod store;
mod timer;
mod transport;
mod url;
