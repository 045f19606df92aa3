//! Conformance with the real OPA engine: the exported bundle gives exactly the same
//! findings (id, site, resource, severity, message, waived, evidence) under OPA v1.20.2 as under
//! regorus, for every fixture in every phase, every policy case, and an organisation
//! policy dir with config, severity overrides and waivers; the built-in Rego unit tests
//! pass under OPA; and each known difference between the engines is reproduced and
//! flagged by `policy check`.
//!
//! OPA is the PyPI wheel that `.ci/install-opa.sh` installs into `target/opa-venv`
//! (`.ci/run` calls it). `tests/opa/driver.py` loads a bundle once and evaluates many
//! inputs per process. Without that environment the tests print a loud skip line;
//! under `CI=true` a missing OPA is a failure.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use hcx_preflight::findings::Finding;
use hcx_preflight::plan::{input_document, parse_time, FailOn, Phase, Plan};
use hcx_preflight::policy::{LoadOptions, PolicySet, ENTRYPOINT};
use hcx_preflight::snapshot::Snapshot;
use serde_json::Value;

use crate::policy_cases::{builtin_with_config, load_cases, prepare};
use crate::common::root;

const NOW: &str = "2026-11-29T09:05:00Z";

/// The Python of the OPA environment, or `None` (with a loud skip line) when it is not
/// installed outside CI.
fn opa_python() -> Option<PathBuf> {
    let python = std::env::var_os("HCX_PREFLIGHT_OPA_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/opa-venv/bin/python"));
    if python.is_file() {
        return Some(python);
    }
    let why = format!("OPA is not installed at {}: run .ci/install-opa.sh (CI's .ci/run does)", python.display());
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true and {why}");
    }
    eprintln!("\n!!!!! SKIPPED: OPA conformance test not run: {why} !!!!!\n");
    None
}

fn driver() -> PathBuf {
    root().join("tests/opa/driver.py")
}

/// What the conformance compares of a finding (the evidence as canonical JSON text).
type Key = (String, Option<String>, Option<String>, String, String, bool, String);

fn key_of_regorus(f: &Finding) -> Key {
    let evidence = canonical(&serde_json::to_value(&f.evidence).expect("evidence serializes"));
    (f.id.clone(), f.site.clone(), f.resource.clone(), f.severity.as_str().to_string(), f.message.clone(), f.waived, evidence)
}

/// JSON text in which a number is written alike whichever engine produced it (1 and 1.0).
fn canonical(v: &Value) -> String {
    match v {
        Value::Number(n) => format!("{}", n.as_f64().unwrap_or(f64::NAN)),
        Value::Array(items) => format!("[{}]", items.iter().map(canonical).collect::<Vec<_>>().join(",")),
        Value::Object(map) => {
            let mut fields: Vec<String> = map.iter().map(|(k, v)| format!("{k:?}:{}", canonical(v))).collect();
            fields.sort();
            format!("{{{}}}", fields.join(","))
        }
        other => other.to_string(),
    }
}

fn key_of_opa(f: &Value) -> Key {
    let s = |k: &str| f[k].as_str().map(str::to_string);
    (
        s("id").unwrap_or_default(),
        s("site"),
        s("resource"),
        s("severity").unwrap_or_default(),
        s("message").unwrap_or_default(),
        f["waived"].as_bool().unwrap_or(true),
        canonical(&f["evidence"]),
    )
}

/// The OPA driver evaluating `query` on `bundle`, reading inputs from its stdin.
fn spawn_eval(python: &Path, bundle: &Path, query: &str) -> std::process::Child {
    Command::new(python)
        .arg(driver())
        .args(["eval".as_ref(), bundle.as_os_str(), query.as_ref()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the OPA driver")
}

/// Evaluate the entrypoint on each input under OPA, in one process.
fn opa_eval(python: &Path, bundle: &Path, inputs: &[Value]) -> Vec<Result<Vec<Key>, String>> {
    let mut child = spawn_eval(python, bundle, ENTRYPOINT);
    let mut stdin = child.stdin.take().expect("stdin");
    let lines: Vec<String> = inputs.iter().map(|i| serde_json::to_string(i).expect("input serializes")).collect();
    // Written from a thread: the driver answers while it reads, and a full pipe must not block both.
    let writer = std::thread::spawn(move || {
        for l in lines {
            writeln!(stdin, "{l}").expect("write to the OPA driver");
        }
    });
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut out = Vec::new();
    for line in stdout.lines() {
        let v: Value = serde_json::from_str(&line.expect("read the OPA driver")).expect("driver line is JSON");
        out.push(match (&v["ok"], &v["error"]) {
            (Value::Array(fs), _) => {
                let mut keys: Vec<Key> = fs.iter().map(key_of_opa).collect();
                keys.sort();
                Ok(keys)
            }
            (_, Value::String(e)) => Err(format!("OPA error: {e}")),
            _ => Err(format!("OPA: {ENTRYPOINT} is undefined or not a set: {v}")),
        });
    }
    writer.join().expect("writer thread");
    let status = child.wait_with_output().expect("driver exits");
    assert!(
        status.status.success() && out.len() == inputs.len(),
        "the OPA driver failed ({} of {} answers): {}",
        out.len(),
        inputs.len(),
        String::from_utf8_lossy(&status.stderr)
    );
    out
}

/// Export `set`, evaluate every input under both engines, and list every difference.
fn compare(python: &Path, set: &PolicySet, cases: &[(String, Value)]) -> Vec<Vec<Key>> {
    let bundle = tempfile::tempdir().expect("tempdir");
    set.export(bundle.path()).expect("export the bundle");
    let inputs: Vec<Value> = cases.iter().map(|(_, i)| i.clone()).collect();
    let opa = opa_eval(python, bundle.path(), &inputs);
    let mut differences = Vec::new();
    let mut seen = Vec::new();
    for ((name, input), opa) in cases.iter().zip(opa) {
        let mut ours: Vec<Key> = set
            .evaluate(input)
            .unwrap_or_else(|e| panic!("{name}: regorus fails: {e}"))
            .iter()
            .map(key_of_regorus)
            .collect();
        ours.sort();
        match opa {
            Ok(theirs) if theirs == ours => {}
            Ok(theirs) => differences.push(format!(
                "{name}:\n  only regorus: {:?}\n  only OPA:     {:?}",
                ours.iter().filter(|k| !theirs.contains(k)).collect::<Vec<_>>(),
                theirs.iter().filter(|k| !ours.contains(k)).collect::<Vec<_>>()
            )),
            Err(e) => differences.push(format!("{name}: {e}")),
        }
        seen.push(ours);
    }
    assert!(differences.is_empty(), "{} of {} inputs differ between regorus and OPA:\n{}", differences.len(), cases.len(), differences.join("\n"));
    seen
}

fn plan(target: &str, phase: Phase) -> Plan {
    Plan {
        target_version: target.parse().expect("target"),
        phase,
        evaluated_at: parse_time(NOW).expect("now"),
        fail_on: FailOn::Deny,
    }
}

/// Every fixture, in every phase, towards targets below, at and across the boundaries.
pub(crate) fn fixture_inputs() -> Vec<(String, Value)> {
    let dir = root().join("fixtures/snapshots");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).expect("fixtures").map(|e| e.expect("entry").path()).collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let snapshot = Snapshot::from_slice(&std::fs::read(&path).expect("read fixture"), &path).expect("fixture parses");
        for phase in &Phase::ALL {
            for target in ["4.4.2", "4.11.0", "9.0.0.0"] {
                let name = format!("{} --target {target} --phase {}", path.file_name().unwrap().to_string_lossy(), phase.as_str());
                out.push((name, input_document(&snapshot, &plan(target, *phase))));
            }
        }
    }
    out
}

#[test]
fn opa_gives_the_same_findings_for_every_fixture_and_policy_case() {
    let Some(python) = opa_python() else { return };
    let builtin = PolicySet::builtin().expect("built-in policies");
    let mut plain = fixture_inputs();
    let mut by_config: BTreeMap<String, Vec<(String, Value)>> = BTreeMap::new();
    for (file, case) in load_cases() {
        let (snapshot, plan) = prepare(&case).unwrap_or_else(|e| panic!("[{file}] {}: {e}", case.name));
        let item = (format!("[{file}] {}", case.name), input_document(&snapshot, &plan));
        match &case.config {
            None => plain.push(item),
            Some(text) => by_config.entry(text.clone()).or_default().push(item),
        }
    }
    let results = compare(&python, &builtin, &plain);
    // The comparison is only worth something if the findings are many and varied.
    let ids: std::collections::BTreeSet<&str> = results.iter().flatten().map(|k| k.0.as_str()).collect();
    assert!(ids.len() >= 18, "only {} rule ids seen: {ids:?}", ids.len());
    assert!(!by_config.is_empty(), "no policy case has a config");
    for (text, cases) in &by_config {
        compare(&python, &builtin_with_config(text).expect("case config loads"), cases);
    }
}

/// `policy init`'s example organisation folder (a rule, its catalog and params), with a
/// config that disables a rule, overrides severities and has an active, an expired and
/// an unused waiver.
fn organisation(dir: &Path) -> PolicySet {
    hcx_preflight::policy::init::init(dir).expect("policy init");
    let config = dir.join("hcx-preflight.toml");
    let mut text = std::fs::read_to_string(&config).expect("config");
    text.push_str(
        r#"
[[waivers]]
id = "snapshot-recommended"
site = "source"
reason = "snapshots are taken by the backup team's job"
approved_by = "CAB-1"
expires = 2027-06-30

[[waivers]]
id = "backup-missing"
reason = "old exception"
approved_by = "CAB-0"
expires = 2026-01-01

[[waivers]]
id = "disk-space"
site = "nowhere"
reason = "matches no site"
approved_by = "CAB-2"
expires = 2027-06-30
"#,
    );
    text = text.replace("[rules.severity]\n", "[rules.severity]\nconnection-unknown = \"info\"\nsnapshot-stale = \"warn\"\n");
    std::fs::write(&config, text).expect("write config");
    PolicySet::load(&LoadOptions {
        policy_dirs: vec![dir.to_path_buf()],
        config: Some(config),
        ..Default::default()
    })
    .expect("organisation set loads")
}

#[test]
fn opa_gives_the_same_findings_with_an_organisation_policy_dir() {
    let Some(python) = opa_python() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let set = organisation(dir.path());
    let results = compare(&python, &set, &fixture_inputs());
    let all: Vec<&Key> = results.iter().flatten().collect();
    let has = |pred: &dyn Fn(&Key) -> bool| all.iter().any(|k| pred(k));
    assert!(has(&|k| k.0 == "snapshot-recommended" && k.5), "no active waiver applied");
    assert!(has(&|k| k.0 == "waiver-expired"), "no expired waiver reported");
    assert!(has(&|k| k.0 == "waiver-unused"), "no unused waiver reported");
    assert!(has(&|k| k.0 == "connection-unknown" && k.3 == "info"), "no severity override seen");
    assert!(has(&|k| k.0.starts_with("acme-")), "the organisation's own rule never fired");
    assert!(!has(&|k| k.0 == "version-skew"), "a disabled rule reported");
}

#[test]
fn opa_runs_the_builtin_rego_unit_tests() {
    let Some(python) = opa_python() else { return };
    let bundle = tempfile::tempdir().expect("tempdir");
    let set = PolicySet::builtin().expect("built-in policies");
    set.export(bundle.path()).expect("export");
    let out = Command::new(&python).arg(driver()).arg("test").arg(bundle.path()).output().expect("run the driver");
    let text = String::from_utf8_lossy(&out.stdout);
    let declared: usize = set.tests().iter().map(|t| t.text.lines().filter(|l| l.starts_with("test_")).map(|l| l.split([' ', '(']).next()).collect::<std::collections::BTreeSet<_>>().len()).sum();
    assert!(out.status.success(), "OPA test run failed:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.ends_with(&format!("{declared} passed, 0 failed\n")), "expected all {declared} tests to pass under OPA:\n{text}");
}

#[test]
fn opa_on_the_cli_export_and_dump_input_gives_the_findings_of_check() {
    let Some(python) = opa_python() else { return };
    let bundle = tempfile::tempdir().expect("tempdir");
    let bin = || {
        let mut c = assert_cmd::Command::cargo_bin("hcx-preflight").expect("binary");
        c.current_dir(root()).env("NO_COLOR", "1");
        c
    };
    bin().args(["policy", "export"]).arg(bundle.path()).assert().success();
    let snapshot = root().join("fixtures/snapshots/two-site-healthy.json");
    let args = ["check", "--snapshot", snapshot.to_str().unwrap(), "--target", "4.11.0", "--now", NOW];
    let input: Value = serde_json::from_slice(&bin().args(args).arg("--dump-input").output().expect("dump").stdout).expect("input JSON");
    let decision: Value = serde_json::from_slice(&bin().args(args).args(["--format", "json"]).output().expect("check").stdout).expect("decision JSON");
    let mut ours: Vec<Key> = decision["findings"].as_array().expect("findings").iter().map(key_of_opa).collect();
    ours.sort();
    let theirs = opa_eval(&python, bundle.path(), &[input]).remove(0).expect("OPA evaluates");
    assert!(!ours.is_empty());
    assert_eq!(theirs, ours);
}

/// Each difference met between the engines, as a minimal module: regorus and OPA disagree
/// (or OPA refuses it), and the portability check flags it.
#[test]
fn regorus_and_opa_differ_where_the_portability_check_says() {
    let Some(python) = opa_python() else { return };
    // (module, query, what regorus gives, what OPA gives)
    let cases: [(&str, &str, &str, &str); 4] = [
        ("package d\n\nr if not is_string(input.x.severity)\n", "data.d.r", "true", "undefined"),
        ("package d\n\nr if not input.x.kind in {\"a\"}\n", "data.d.r", "true", "undefined"),
        ("package d\n\nf(s) if s == \"healthy\"\n\nr if not f(null)\n", "data.d.r", "true", "refused"),
        ("package d\n\nr if not startswith(null, \"a\")\n", "data.d.r", "error", "refused"),
    ];
    for (module, query, want_regorus, want_opa) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("d.rego"), module).expect("write");
        let mut engine = regorus::Engine::new();
        engine.set_rego_v0(false);
        engine.add_policy("d.rego".into(), module.into()).expect("regorus parses");
        engine.set_input(regorus::Value::from(serde_json::json!({"x": {}})));
        let got_regorus = match engine.eval_rule(query.to_string()) {
            Ok(regorus::Value::Undefined) => "undefined".to_string(),
            Ok(v) => v.to_string(),
            Err(_) => "error".to_string(),
        };
        let mut child = spawn_eval(&python, dir.path(), query);
        writeln!(child.stdin.take().unwrap(), "{{\"x\": {{}}}}").unwrap();
        let out = child.wait_with_output().expect("driver");
        let got_opa = match (out.status.code(), String::from_utf8_lossy(&out.stdout).trim()) {
            (Some(2), _) => "refused".to_string(),
            (_, "{\"undefined\": true}") => "undefined".to_string(),
            (_, other) => other.to_string(),
        };
        assert_eq!((got_regorus.as_str(), got_opa.as_str()), (want_regorus, want_opa), "{module}");
        let report = hcx_preflight::policy::lint::check(&[dir.path().to_path_buf()], None).expect("policy check runs");
        assert!(
            report.problems.iter().any(|p| p.line == Some(module.lines().count() as u64) && p.message.starts_with("not portable to OPA")),
            "policy check does not flag {module:?}: {:?}",
            report.problems
        );
    }
}
