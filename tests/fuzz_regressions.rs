//! Replays every input kept under `fuzz/regressions/<target>/` (crashes the fuzzer
//! found, and seeds) through the same entry points as the fuzz targets.

use std::path::PathBuf;

fn replay(target: &str, f: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions").join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = entry.expect("entry").path();
        if p.is_file() {
            f(&std::fs::read(&p).expect("read"));
            n += 1;
        }
    }
    assert!(n > 0, "no inputs under {}", dir.display());
}

#[test]
fn snapshot_inputs() {
    replay("snapshot", hcx_preflight::fuzzing::snapshot);
}

#[test]
fn config_inputs() {
    replay("config", hcx_preflight::fuzzing::config);
}

#[test]
fn version_inputs() {
    replay("version", hcx_preflight::fuzzing::version);
}

#[test]
fn attestation_inputs() {
    replay("attestations", hcx_preflight::fuzzing::attestations);
}

#[test]
fn api_response_inputs() {
    replay("api_response", hcx_preflight::fuzzing::api_response);
}
