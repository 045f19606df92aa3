//! The one integration-test binary; each area is a module.

mod cli;
mod fuzz_regressions;
mod policy_cases;
mod properties;
mod robustness;
