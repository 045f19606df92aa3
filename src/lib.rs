//! hcx-preflight: a policy-as-code pre-flight checker for VMware HCX upgrades.
//!
//! The data flows one way:
//! collect -> snapshot ([`snapshot`]) -> evaluate ([`policy`], with the [`plan`] and the
//! organisation [`config`]) -> findings and decision ([`findings`]) -> report ([`report`])
//! / gate. `src/main.rs` only parses the command line ([`cli`]) and maps the outcome to
//! an exit code.

pub mod approval;
pub mod audit;
pub mod check;
pub mod cli;
pub mod config;
pub mod findings;
pub mod fsutil;
#[doc(hidden)]
pub mod fuzzing;
pub mod plan;
pub mod policy;
pub mod policycheck;
pub mod policyinit;
pub mod policytest;
pub mod rego_ast;
pub mod report;
pub mod snapshot;
pub mod version;
