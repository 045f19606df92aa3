//! The one integration test binary; each file is a module.
mod collect;
mod sim_faults;
