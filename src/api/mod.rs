//! The HCX API as both sides of the wire see it: the paths the collector calls and the
//! simulated HCX Manager (crate `hcx-sim`) serves, the words and keys no public source shows
//! (our guesses, in [`inferred`]), the reading of status words, and the answer a manager
//! gives while SSO is not ready. One module, so that client and simulator cannot drift apart;
//! it holds no I/O.

pub mod inferred;
pub mod paths;
mod status;

pub use status::{map_status, map_tunnel};

/// The text of the XML answer a manager gives while SSO is not ready yet.
pub const SSO_NOT_READY: &str = "'Trusted root certificates' value should not be empty";
