//! Evidence per finding (issue #11, contract section 4): every finding of every built-in
//! rule, for every fixture in every phase and every policy case, names the facts it rests
//! on, and each pointer resolves in the snapshot as judged (the input's `snapshot`, after
//! attestations were applied) to exactly the value given.

use hcx_preflight::findings::Finding;
use hcx_preflight::policy::PolicySet;
use serde_json::Value;

use crate::opa_conformance::fixture_inputs;
use crate::policy_cases::{load_cases, prepare};

/// Every problem with the evidence of `findings` judged on `snapshot` (the judged JSON).
fn problems(name: &str, snapshot: &Value, findings: &[Finding]) -> Vec<String> {
    let mut out = Vec::new();
    for f in findings {
        let Some(items) = f.evidence.as_ref().filter(|e| !e.is_empty()) else {
            out.push(format!("{name}: {} ({:?}) has no evidence", f.id, f.resource));
            continue;
        };
        for ev in items {
            match (&ev.pointer, &ev.param) {
                (Some(p), None) => match snapshot.pointer(p) {
                    Some(v) if v == &ev.value => {}
                    Some(v) => out.push(format!("{name}: {}: {p} is {v}, the evidence says {}", f.id, ev.value)),
                    None => out.push(format!("{name}: {}: {p} does not resolve in the snapshot", f.id)),
                },
                (None, Some(param)) if !param.is_empty() => {}
                _ => out.push(format!("{name}: {}: an item needs exactly one of pointer and param: {ev:?}", f.id)),
            }
        }
    }
    out
}

#[test]
fn every_finding_has_evidence_that_resolves_in_the_judged_snapshot() {
    let set = PolicySet::builtin().expect("built-in policies");
    let mut cases = fixture_inputs();
    for (file, case) in load_cases() {
        if case.config.is_none() {
            let (snapshot, plan) = prepare(&case).unwrap_or_else(|e| panic!("[{file}] {}: {e}", case.name));
            cases.push((format!("[{file}] {}", case.name), hcx_preflight::plan::input_document(&snapshot, &plan)));
        }
    }
    let (mut findings, mut pointers, mut attested) = (0, 0, 0);
    let mut all = Vec::new();
    for (name, input) in &cases {
        let fs = set.evaluate(input).unwrap_or_else(|e| panic!("{name}: {e}"));
        findings += fs.len();
        for ev in fs.iter().flat_map(|f| f.evidence.iter().flatten()) {
            pointers += usize::from(ev.pointer.is_some());
            attested += usize::from(ev.attestation.is_some());
        }
        all.extend(problems(name, &input["snapshot"], &fs));
    }
    assert!(all.is_empty(), "{} problems, e.g.:\n{}", all.len(), all.iter().take(20).cloned().collect::<Vec<_>>().join("\n"));
    assert!(findings > 500 && pointers > findings, "too few findings ({findings}) or pointers ({pointers}) to prove much");
    assert!(attested > 0, "no attested fact carried its attestation");
}

/// Attested on the command line: the evidence of the finding carries who, when and what,
/// and every pointer resolves in the snapshot as judged (as `--save-snapshot` writes it).
#[test]
fn an_attested_fact_carries_its_attestation() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("judged.json");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = assert_cmd::Command::cargo_bin("hcx-preflight")
        .unwrap()
        .args(["check", "--snapshot"])
        .arg(root.join("fixtures/snapshots/two-site-healthy.json"))
        .args(["--target", "4.11.0", "--now", "2026-11-29T09:05:00Z", "--format", "json", "--save-snapshot"])
        .arg(&saved)
        .args(["--attest", "source.backup.last_success_at=2026-11-27T02:00:00Z;by=ops;evidence=backup job 4711"])
        .output()
        .unwrap();
    let decision: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let fs: Vec<Finding> = serde_json::from_value(decision["findings"].clone()).unwrap();
    let backup = fs.iter().find(|f| f.id == "backup-missing").expect("a two-day-old backup is too old");
    let item = &backup.evidence.as_ref().unwrap()[0];
    assert_eq!(item.pointer.as_deref(), Some("/sites/0/backup/last_success_at"));
    let a = item.attestation.as_ref().expect("the attested backup time carries its attestation");
    assert_eq!((a["attested_by"].as_str(), a["evidence"].as_str()), (Some("ops"), Some("backup job 4711")));
    assert_eq!(a["attested_at"].as_str(), Some("2026-11-29T09:05:00Z"));
    let judged: Value = serde_json::from_slice(&std::fs::read(&saved).unwrap()).unwrap();
    assert_eq!(problems("attested", &judged, &fs), Vec::<String>::new());
}
