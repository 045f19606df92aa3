//! hcx-preflight: a policy-as-code pre-flight checker for VMware HCX upgrades.
//!
//! The data flows one way:
//! collect ([`collect`]) -> snapshot ([`snapshot`]) -> evaluate ([`policy`], with the
//! [`plan`] and the organisation [`config`]) -> findings and decision ([`findings`]) ->
//! report ([`report`]) / gate ([`upgrade`]). `src/main.rs` only parses the command line
//! ([`cli`]) and maps the outcome to an exit code. [`simulator`] is a simulated HCX
//! Manager for tests and demonstrations. [`inventory`] and [`fleet`] run the same
//! pipeline for every estate of an organisation in one process.

pub mod approval;
pub mod audit;
pub mod check;
pub mod cli;
pub mod collect;
pub mod config;
pub mod findings;
pub mod fleet;
pub mod fsutil;
#[doc(hidden)]
pub mod fuzzing;
pub mod inventory;
pub mod meshstep;
pub mod plan;
pub mod policy;
pub mod report;
pub mod route;
pub mod simulator;
pub mod snapshot;
pub mod upgrade;
pub mod version;
