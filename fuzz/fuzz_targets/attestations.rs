//! Any bytes as attestations (`--attest` syntax and JSON/TOML files): parsing and
//! applying them to a snapshot never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    hcx_preflight::fuzzing::attestations(data);
});
