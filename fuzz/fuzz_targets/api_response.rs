//! Any bytes as an HCX API answer: every parser of the collector returns a value or an
//! error, never panics, and never turns an unknown word into a healthy status.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    hcx_preflight::fuzzing::api_response(data);
});
