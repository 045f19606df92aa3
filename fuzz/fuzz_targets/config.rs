//! Any text as an organisation config: parsing and validation never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    hcx_preflight::fuzzing::config(data);
});
