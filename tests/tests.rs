//! The one integration-test binary: each file under tests/ is a module here.

mod cli;
mod cli_habits;
mod collect;
mod common;
mod differential;
mod evidence;
mod fleet;
mod fuzz_regressions;
mod layers;
mod mesh_phase;
mod opa_conformance;
mod policy_cases;
mod policy_cmds;
mod precompiled;
mod plan_cli;
mod properties;
mod record;
mod reports;
mod robustness;
mod route_cases;
mod route_upgrade;
mod secrets;
mod sim_faults;
mod snapshot_input;
mod unknown_loop;
mod upgrade;
