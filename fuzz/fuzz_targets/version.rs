//! Any text as an HCX version: parsing never panics, and what parses round-trips
//! and orders consistently.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    hcx_preflight::fuzzing::version(data);
});
