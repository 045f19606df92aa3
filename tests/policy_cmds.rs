//! `policy test`, `policy init` and `policy check`, run through the real binary.
