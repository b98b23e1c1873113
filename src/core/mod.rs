//! The sans-IO core. Everything here is deterministic: time comes in as an
//! argument (milliseconds since the Unix epoch), bytes come in as slices, and
//! decisions go out as plain values for the shell to act on.

pub mod attempts;
pub mod cache;
pub mod config;
pub mod dialect;
pub mod encoding;
pub mod error;
pub mod expiry;
pub mod headers;
pub mod hint;
pub mod json;
pub mod jwt;
pub mod manager;
pub mod response;
pub mod rng;
pub mod schedule;
pub mod secret;
pub mod store;
#[cfg(test)]
pub mod testing;
pub mod text;
pub mod time;
pub mod url;

/// Milliseconds since the Unix epoch, as `Date.now()` gives them.
pub type Millis = u64;

/// The largest token response body the core will look at (1 MiB).
pub const MAX_RESPONSE_BYTES: usize = 1 << 20;
