//! The one integration-test binary; each area is a module.

mod cli;
mod policy_cases;
mod properties;
mod robustness;
