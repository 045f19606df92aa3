//! hcx-preflight: a policy-as-code pre-flight checker for VMware HCX upgrades.
//!
//! The data flows one way:
//! collect ([`collect`]) -> snapshot ([`snapshot`]) -> evaluate ([`policy`]) ->
//! findings and decision ([`findings`]) -> report ([`report`]) / gate.
//! `src/main.rs` only parses the command line ([`cli`]) and maps the outcome to an exit code.

pub mod collect;
pub mod fsutil;
pub mod simulator;
pub mod snapshot;
pub mod version;
