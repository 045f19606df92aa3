//! Resource bounds: oversized and deeply nested snapshots are refused in bounded
//! memory and time, and a runaway organisation policy is stopped by the evaluation
//! time limit with a message naming it. Each is an error (exit 2), never an allow.

use std::time::{Duration, Instant};

use assert_cmd::Command;

use crate::common::root;

fn check(snapshot: &std::path::Path, extra: &[&str]) -> std::process::Output {
    Command::cargo_bin("hcx-preflight")
        .expect("binary")
        .current_dir(root())
        .args(["check", "--snapshot"])
        .arg(snapshot)
        .args(["--target", "4.11.0", "--now", "2026-11-29T09:05:00Z"])
        .args(extra)
        .timeout(Duration::from_secs(60))
        .output()
        .expect("run")
}

#[test]
fn a_100_mb_snapshot_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge.json");
    let f = std::fs::File::create(&p).unwrap();
    f.set_len(100 * 1024 * 1024).unwrap();
    let start = Instant::now();
    let o = check(&p, &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("is 104857600 bytes, more than"), "{err}");
    assert!(start.elapsed() < Duration::from_secs(20));
}

#[test]
fn deeply_nested_json_is_refused_without_overflowing_the_stack() {
    let dir = tempfile::tempdir().unwrap();
    for (name, prefix) in [("deep-unknown.json", "{\"schema_version\": 1, \"x\": "), ("deep-sites.json", "{\"schema_version\": 1, \"collected_at\": \"2026-11-29T09:00:00Z\", \"collector\": {\"name\": \"x\", \"version\": \"1\"}, \"sites\": ")] {
        let depth = 200_000;
        let mut doc = String::from(prefix);
        doc.push_str(&"[".repeat(depth));
        doc.push_str(&"]".repeat(depth));
        doc.push('}');
        let p = dir.path().join(name);
        std::fs::write(&p, doc).unwrap();
        let o = check(&p, &[]);
        assert_eq!(o.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.starts_with(&format!("error: snapshot {}:1:", p.display())), "{name}: {err}");
        assert!(!err.contains("panicked") && !err.contains("overflow"), "{name}: {err}");
    }
}

#[test]
fn a_runaway_org_policy_is_stopped_and_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("runaway.rego"),
        "package hcx.rules.acme\n\nimport data.hcx.lib\n\nviolation contains lib.finding(\"backup-missing\", null, null, \"never\") if {\n\tsome x in numbers.range(1, 5000000)\n\tsome y in numbers.range(1, 5000000)\n\tx + y < 0\n}\n",
    )
    .unwrap();
    // Both engines: the time limit is read from regorus' typed errors of each.
    for engine in ["interpreter", "rvm"] {
        let start = Instant::now();
        let dir = dir.path().to_str().unwrap();
        let o = check(&root().join("fixtures/snapshots/two-site-healthy.json"), &["--policy-dir", dir, "--eval-timeout", "1", "--engine", engine]);
        assert_eq!(o.status.code(), Some(2), "{engine}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("exceeded the time limit of 1s"), "{engine}: {err}");
        assert!(err.contains("runaway.rego (package hcx.rules.acme)"), "{engine}: {err}");
        assert!(o.stdout.is_empty());
        assert!(start.elapsed() < Duration::from_secs(30), "{engine} took {:?}", start.elapsed());
    }
}
