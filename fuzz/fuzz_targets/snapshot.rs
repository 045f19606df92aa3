//! Any bytes as a snapshot file: loading never panics, and whatever loads can be
//! judged by the built-in policies without a panic (errors are fine, exit 2).
#![no_main]


use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    hcx_preflight::fuzzing::snapshot(data);
});
