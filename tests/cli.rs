//! CLI tests: the real binary on bundled fixtures, whole outputs and exit codes.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

use crate::common::{fixture, root};

const NOW: &str = "2026-11-29T09:05:00Z";

fn bin() -> Command {
    let mut c = Command::cargo_bin("hcx-preflight").expect("binary");
    c.current_dir(root()).env("NO_COLOR", "1").env_remove("HCX_PASSWORD");
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).replace(&root().display().to_string(), "[ROOT]")
}

/// Exit code, stdout and stderr together, as one reviewable document.
fn transcript(o: &Output) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        o.status.code().unwrap_or(-1),
        text(&o.stdout),
        text(&o.stderr)
    )
}

#[test]
fn check_healthy_estate_table() {
    let o = run(&["check", "--snapshot", &fixture("two-site-healthy.json"), "--target", "4.11.0", "--now", NOW]);
    insta::assert_snapshot!(transcript(&o));
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn check_busy_estate_table_fits_80_columns() {
    let o = run(&["check", "--snapshot", &fixture("local-fqdn-4.3.json"), "--target", "4.4.2", "--now", NOW]);
    let out = text(&o.stdout);
    for line in out.lines() {
        assert!(line.chars().count() <= 80, "line wider than 80 columns: {line}");
    }
    assert!(out.contains("KB 90082: https://knowledge.broadcom.com/external/article?legacyId=90082"), "{out}");
    assert!(!out.contains('\x1b'), "colour without a terminal");
    insta::assert_snapshot!(transcript(&o));
}

#[test]
fn check_denied_json_is_the_decision_record() {
    let o = run(&["check", "--snapshot", &fixture("busy-estate.json"), "--target", "4.11.0", "--now", NOW, "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    // The policy digest changes with every policy edit; it is checked by the determinism tests.
    let d: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let digest = d["policy_sha256"].as_str().expect("policy_sha256").to_string();
    assert_eq!(digest.len(), 64);
    let builtin = d["rests_on"]["policies"]["builtin_sha256"].as_str().expect("builtin_sha256").to_string();
    insta::assert_snapshot!(transcript(&o).replace(&digest, "[POLICY_SHA256]").replace(&builtin, "[BUILTIN_SHA256]"));
    let d: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(d["decision"], "deny");
    assert_eq!(d["summary"]["deny"], 2);
}

#[test]
fn json_output_is_byte_identical_across_runs() {
    let args = ["check", "--snapshot", &fixture("unhealthy-interconnect.json"), "--target", "4.11.0", "--now", NOW, "--format", "json"];
    let a = run(&args);
    let b = run(&args);
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(a.status.code(), Some(1));
}

#[test]
fn fail_on_warn_denies_on_warnings() {
    let args = ["check", "--snapshot", &fixture("two-site-4.3-photon.json"), "--target", "4.4.0", "--now", NOW];
    assert_eq!(run(&args).status.code(), Some(0));
    let mut warn = args.to_vec();
    warn.extend(["--fail-on", "warn"]);
    let o = run(&warn);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).ends_with("decision: DENY (0 deny, 4 warn, 2 info, 0 waived; fail on warn)\n"));
}

#[test]
fn malformed_snapshot_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("broken.json");
    std::fs::write(&p, "{\n  \"schema_version\": 1,\n  \"sites\": [,]\n}\n").unwrap();
    let o = run(&["check", "--snapshot", p.to_str().unwrap(), "--target", "4.4.0"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains(&format!("{}:3:13", p.display())), "{err}");
    assert!(o.stdout.is_empty());
}

#[test]
fn invalid_versions_are_refused_before_any_rule_runs() {
    let o = run(&["check", "--snapshot", &fixture("two-site-healthy.json"), "--target", "four"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("`four` is not an HCX version"), "{}", text(&o.stderr));

    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("v.json");
    let doc = std::fs::read_to_string(fixture("two-site-healthy.json")).unwrap().replacen("\"4.10.2\"", "\"4.10.x\"", 1);
    std::fs::write(&p, doc).unwrap();
    let o = run(&["check", "--snapshot", p.to_str().unwrap(), "--target", "4.11.0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("`4.10.x` is not an HCX version"), "{}", text(&o.stderr));
}

#[test]
fn unknown_schema_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("v2.json");
    let doc = std::fs::read_to_string(fixture("two-site-healthy.json")).unwrap().replacen("\"schema_version\": 1", "\"schema_version\": 2", 1);
    std::fs::write(&p, doc).unwrap();
    let o = run(&["check", "--snapshot", p.to_str().unwrap(), "--target", "4.11.0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("schema_version 2"), "{}", text(&o.stderr));
}

#[test]
fn missing_snapshot_file_is_an_error_not_an_allow() {
    let o = run(&["check", "--snapshot", "/nonexistent/snap.json", "--target", "4.11.0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("snapshot /nonexistent/snap.json does not exist"), "{}", text(&o.stderr));
}

#[test]
fn a_policy_that_does_not_compile_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.rego"), "package hcx.rules.acme\n\nviolation contains x if {\n  x := \n}\n").unwrap();
    let o = run(&["check", "--snapshot", &fixture("two-site-healthy.json"), "--target", "4.11.0", "--now", NOW, "--policy-dir", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("broken.rego:4:5"), "{err}");
}

#[test]
fn an_org_rule_with_an_uncatalogued_id_cannot_decide() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("acme.rego"),
        "package hcx.rules.acme\n\nimport data.hcx.lib\n\nviolation contains lib.finding(\"acme-nope\", null, null, \"x\") if true\n",
    )
    .unwrap();
    let o = run(&["check", "--snapshot", &fixture("two-site-healthy.json"), "--target", "4.11.0", "--now", NOW, "--policy-dir", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("acme-nope"), "{}", text(&o.stderr));
}

#[test]
fn a_failing_builtin_is_an_error_never_an_allow() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("acme.rego"),
        "package hcx.rules.acme\n\nimport data.hcx.lib\n\nviolation contains lib.finding(\"backup-missing\", null, null, \"x\") if {\n  semver.compare(input.snapshot.sites[0].manager.version, \"1.0.0.0\") > 0\n}\n",
    )
    .unwrap();
    let o = run(&["check", "--snapshot", &fixture("two-site-healthy.json"), "--target", "4.11.0", "--now", NOW, "--policy-dir", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", transcript(&o));
    assert!(text(&o.stderr).contains("acme.rego"), "{}", text(&o.stderr));
}

#[test]
fn schema_prints_the_snapshot_json_schema() {
    let o = run(&["schema"]);
    assert_eq!(o.status.code(), Some(0));
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s["title"], "Snapshot");
    assert!(s["properties"]["sites"].is_object());
}

#[test]
fn dump_input_prints_the_exact_input_document() {
    let o = run(&["check", "--snapshot", &fixture("nine-x-4part.json"), "--target", "9.1.1.0", "--now", NOW, "--dump-input"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["plan"], serde_json::json!({"target_version": "9.1.1.0", "phase": "managers", "evaluated_at": NOW, "fail_on": "deny"}));
    assert_eq!(v["snapshot"]["sites"][0]["manager"]["version"], "9.0.0.0");
}

#[test]
fn output_file_is_written_and_stdout_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("decision.json");
    let o = run(&["check", "--snapshot", &fixture("busy-estate.json"), "--target", "4.11.0", "--now", NOW, "--format", "json", "--output", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    let d: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
    assert_eq!(d["decision"], "deny");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "a temporary file was left behind");
}

/// Rule ids are unique (the catalog is a map, checked on load), each is documented
/// in the README's rule table, and each built-in one is emitted by some Rego file.
#[test]
fn rule_ids_are_unique_and_documented() {
    let catalog: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(root().join("policies/hcx/catalog/data.json")).unwrap()).unwrap();
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let text = std::fs::read_to_string(root().join("policies/hcx/catalog/data.json")).unwrap();
    let mut rego = String::new();
    for dir in ["policies/hcx/rules", "policies/hcx"] {
        for e in std::fs::read_dir(root().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "rego") && !p.to_string_lossy().ends_with("_test.rego") {
                rego.push_str(&std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    for id in catalog.keys() {
        assert_eq!(text.matches(&format!("\"{id}\": {{")).count(), 1, "{id} defined more than once");
        assert!(readme.contains(&format!("| `{id}` |")), "{id} is not in the README's rule table");
        assert!(rego.contains(&format!("\"{id}\"")), "no Rego file emits {id}");
    }
    insta::assert_snapshot!(catalog.keys().cloned().collect::<Vec<_>>().join("\n"));
}

#[test]
fn exported_bundle_gives_the_same_findings() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle");
    let o = run(&["policy", "export", bundle.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o));
    let input = run(&["check", "--snapshot", &fixture("unhealthy-connections.json"), "--target", "4.11.0", "--now", NOW, "--dump-input"]);
    let decision = run(&["check", "--snapshot", &fixture("unhealthy-connections.json"), "--target", "4.11.0", "--now", NOW, "--format", "json"]);
    let decision: serde_json::Value = serde_json::from_slice(&decision.stdout).unwrap();

    // Evaluate the bundle as OPA would: every .rego file, the root data.json, the input.
    let mut engine = regorus::Engine::new();
    let mut files = Vec::new();
    collect(&bundle, &mut files);
    files.sort();
    for f in &files {
        if f.extension().is_some_and(|x| x == "rego") && !f.to_string_lossy().ends_with("_test.rego") {
            engine.add_policy_from_file(f).unwrap();
        }
    }
    engine.add_data(regorus::Value::from_json_file(bundle.join("data.json")).unwrap()).unwrap();
    engine.set_input(regorus::Value::from_json_str(&String::from_utf8(input.stdout).unwrap()).unwrap());
    let got = engine.eval_rule("data.hcx.preflight.findings".into()).unwrap();
    let mut got: Vec<serde_json::Value> = serde_json::from_value(serde_json::to_value(&got).unwrap()).unwrap();
    let mut want: Vec<serde_json::Value> = decision["findings"].as_array().unwrap().clone();
    let key = |v: &serde_json::Value| v.to_string();
    got.sort_by_key(key);
    want.sort_by_key(key);
    assert_eq!(got, want);
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            collect(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// An organisation directory with its rule, a YAML catalog entry and YAML data, reusing
/// the built-in helpers (version comparison, appliance iteration); and a config. The
/// decision is reproducible byte for byte with the same inputs and --now.
#[test]
fn org_policies_with_yaml_data_and_config_are_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let org = dir.path().join("org");
    std::fs::create_dir_all(org.join("hcx/catalog")).unwrap();
    std::fs::create_dir_all(org.join("acme")).unwrap();
    std::fs::write(
        org.join("hcx/catalog/data.yaml"),
        "acme-min-appliance-version:\n  title: Appliances older than the ACME minimum\n  severity: deny\n  kb: null\n  remediation: Upgrade the Service Mesh first.\n",
    )
    .unwrap();
    std::fs::write(org.join("acme/data.yml"), "minimum_appliance_version: \"4.10.0\"\n").unwrap();
    std::fs::write(
        org.join("acme/rules.rego"),
        "package hcx.rules.acme\n\nimport data.hcx.lib\n\n\
         violation contains lib.finding(\"acme-min-appliance-version\", x.site, lib.appliance_name(x.mesh, x.appliance), msg) if {\n\
         \tsome x in lib.appliances\n\
         \tlib.version_lt(x.appliance.version, data.acme.minimum_appliance_version)\n\
         \tmsg := sprintf(\"%s is on %s\", [lib.appliance_name(x.mesh, x.appliance), x.appliance.version])\n}\n",
    )
    .unwrap();
    let config = dir.path().join("org.toml");
    std::fs::write(&config, "[rules.severity]\nacme-min-appliance-version = \"warn\"\n").unwrap();
    let args = [
        "check", "--snapshot", &fixture("two-site-4.3-photon.json"), "--target", "4.4.0", "--now", NOW, "--format", "json",
        "--policy-dir", org.to_str().unwrap(), "--config", config.to_str().unwrap(),
    ];
    let a = run(&args);
    let b = run(&args);
    assert_eq!(a.status.code(), Some(0), "{}", transcript(&a));
    assert_eq!(a.stdout, b.stdout, "the same inputs must give the same decision, byte for byte");
    let d: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    let org_findings: Vec<&serde_json::Value> = d["findings"].as_array().unwrap().iter().filter(|f| f["id"] == "acme-min-appliance-version").collect();
    assert_eq!(org_findings.len(), 4, "{d}");
    assert!(org_findings.iter().all(|f| f["severity"] == "warn" && f["title"] == "Appliances older than the ACME minimum"));
    assert!(org_findings.iter().any(|f| f["message"] == "mesh-east/mesh-east-IX-I1 is on 4.3.2"));
    // The digest covers the organisation's files and config: without them it differs.
    let plain = run(&["check", "--snapshot", &fixture("two-site-4.3-photon.json"), "--target", "4.4.0", "--now", NOW, "--format", "json"]);
    let p: serde_json::Value = serde_json::from_slice(&plain.stdout).unwrap();
    assert_ne!(p["policy_sha256"], d["policy_sha256"]);
    assert_eq!(p["snapshot_sha256"], d["snapshot_sha256"]);
}

/// `check --snapshot` never ignores a flag: attestations are applied (stamped, recorded, and
/// covered by the decision's snapshot digest, = the digest of --save-snapshot's file);
/// collector-only flags and a malformed --attest are refused with exit 2.
#[test]
fn check_snapshot_applies_attestations_and_refuses_collector_flags() {
    let snap = fixture("site-pair-unhealthy.json");
    let base = ["check", "--snapshot", snap.as_str(), "--target", "4.11.0", "--now", NOW, "--format", "json"];
    for extra in [&["--attest", "garbage"][..], &["--insecure"], &["--ca-cert", "x.pem"], &["--timeout", "3"]] {
        let o = run(&[&base[..], extra].concat());
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", transcript(&o));
    }
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("attested.json");
    let attest = "cloud-east.site_pairs.source.status=healthy;by=ops;evidence=Site Pairing page";
    let before = run(&base);
    let o = run(&[&base[..], &["--attest", attest, "--save-snapshot", saved.to_str().unwrap()]].concat());
    let d: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let b: serde_json::Value = serde_json::from_slice(&before.stdout).expect("json");
    let pairs = |d: &serde_json::Value| d["findings"].as_array().unwrap().iter().filter(|f| f["id"] == "site-pair-unhealthy").count();
    assert_eq!(pairs(&d) + 1, pairs(&b), "the attested site pair no longer fires: {d}");
    let file = std::fs::read(&saved).unwrap();
    assert_eq!(d["snapshot_sha256"].as_str().unwrap(), hcx_preflight::policy::sha256_hex(&file));
    let s: serde_json::Value = serde_json::from_slice(&file).unwrap();
    let record = &s["attestations"][0];
    assert_eq!((record["site"].as_str(), record["by"].as_str(), record["attested_at"].as_str()), (Some("cloud-east"), Some("ops"), Some(NOW)));
}
