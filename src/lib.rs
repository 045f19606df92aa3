//! hcx-preflight: a policy-as-code pre-flight checker for VMware HCX upgrades.
//!
//! The data flows one way:
//! collect ([`collect`]) -> snapshot ([`snapshot`]) -> evaluate ([`policy`], with the
//! [`plan`] and the organisation [`config`]) -> findings and decision ([`findings`]) ->
//! report ([`report`]) / gate ([`upgrade`]). The command layer (`src/cli/`, binary only:
//! argument types, one file per command, the exit codes) is not part of this library.
//! [`api`] is what the collector shares with the simulated HCX Manager (the workspace
//! crate `hcx-sim`, for tests and demonstrations). [`inventory`] and [`fleet`] run the
//! same pipeline for every estate of an organisation in one process.
//!
//! The modules are layers in that order, each using only those below it (the README's
//! Layout lists them; `tests/layers.rs` fails on an import cycle): helpers ([`version`],
//! [`fsutil`], [`text`]) at the bottom; the result model ([`findings`]) below the config, the
//! policies and the judging ([`check`]); [`report`] above them; fleet mode, the route
//! planner ([`route`]) and the gate ([`upgrade`]) on top.

pub mod api;
pub mod approval;
pub mod audit;
pub mod check;
pub mod collect;
pub mod config;
pub mod findings;
pub mod fleet;
pub mod fsutil;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod inventory;
pub mod meshstep;
pub mod plan;
pub mod policy;
pub mod report;
pub mod route;
pub mod snapshot;
pub mod text;
pub mod upgrade;
pub mod version;

/// The version of the regorus crate this build evaluates Rego with (from `Cargo.lock`,
/// by `build.rs`): decision records name it.
pub const REGORUS_VERSION: &str = env!("HCX_REGORUS_VERSION");
