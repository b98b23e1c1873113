//! The wasm shell: the side of the wasm that touches JavaScript. It does the
//! I/O the core decides on and nothing else; the JS-shaped parts of that I/O
//! are in `pkg-template/` (`transport.js`, `api_fetch.js`).
//!
//! - `client`: the exported client class and single-flight token acquisition
//! - `transport`: calling `fetch` for token requests (timeouts, size caps,
//!   redirects) and classifying what comes back
//! - `url`: the loopback rule, for the `fetch` wrapper in `pkg-template/api_fetch.js`
//! - `options`: reading the JS options object for the core's validator
//! - `error`: building `AuthError` values
//! - `memory`: the allocator wrapper that zeroes every block it frees

mod client;
mod error;
pub(crate) mod memory;
mod options;
mod store;
mod timer;
mod transport;
mod url;
