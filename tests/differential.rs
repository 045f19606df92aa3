//! Differential tests of the engine paths: the interpreter, the compiled VM (RVM) and
//! the real OPA engine evaluate `data.hcx.preflight.report` on every policy case of
//! `tests/cases`, every fixture in every phase, every snapshot of the fuzz corpus and
//! an organisation policy set, and must give the same value (or all fail). The RVM is
//! the default path only because these agree.
//!
//! OPA runs through `tests/opa/driver.py` with the Python of `target/opa-venv`
//! (`.ci/install-opa.sh`). Without it the OPA side is skipped with a
//! loud line, except under `CI=true`, where a missing OPA fails the test.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use hcx_preflight::policy::engine::{EngineChoice, EnginePath};
use hcx_preflight::plan::{input_document, input_value, parse_time, FailOn, Phase, Plan};
use hcx_preflight::policy::{LoadOptions, PolicySet};
use hcx_preflight::snapshot::Snapshot;

use super::policy_cases::{builtin_with_config, load_cases, prepare};
use crate::common::root;

const REPORT: &str = "data.hcx.preflight.report";

/// One evaluation to compare: a label, the policy set (by index) and the input.
struct Subject {
    label: String,
    set: usize,
    snapshot: Snapshot,
    plan: Plan,
}

/// What an engine made of a subject: a JSON value with its sets as sorted arrays, or
/// "error" (the messages differ between engines; that they fail is what must agree).
fn outcome(result: Result<serde_json::Value, String>) -> Result<serde_json::Value, &'static str> {
    result.map(canonical).map_err(|_| "error")
}

/// The report's three sets as sorted arrays (each engine writes a set in its own order).
fn canonical(mut report: serde_json::Value) -> serde_json::Value {
    for key in ["findings", "uncatalogued", "malformed"] {
        if let Some(serde_json::Value::Array(a)) = report.get_mut(key) {
            a.sort_by_key(|v| v.to_string());
        }
    }
    report
}

fn regorus_outcome(set: &PolicySet, path: EnginePath, s: &Subject) -> Result<serde_json::Value, &'static str> {
    let input = input_value(&s.snapshot, &s.plan).expect("input");
    outcome(
        set.evaluate_raw(path, input)
            .map_err(|e| e.to_string())
            .and_then(|v| serde_json::to_value(&v).map_err(|e| e.to_string())),
    )
}

/// The organisation policy set that `policy init` writes, with its config.
fn org_set(dir: &Path) -> PolicySet {
    hcx_preflight::policy::init::init(dir).expect("policy init");
    // The RVM too (by default a set with organisation modules goes to the interpreter).
    PolicySet::load(&LoadOptions {
        policy_dirs: vec![dir.to_path_buf()],
        config: Some(dir.join("hcx-preflight.toml")),
        engine: EngineChoice::Rvm,
        ..Default::default()
    })
    .expect("the policy init example loads")
}

fn fixture_plan(target: &str, phase: Phase) -> Plan {
    Plan {
        target_version: target.parse().expect("version"),
        phase,
        evaluated_at: parse_time("2026-11-29T09:05:00Z").expect("time"),
        fail_on: FailOn::Deny,
    }
}

fn subjects(sets: &mut Vec<(String, PolicySet)>, org_dir: &Path) -> Vec<Subject> {
    let mut out = Vec::new();
    let mut by_config: BTreeMap<String, usize> = BTreeMap::new();
    for (file, case) in load_cases() {
        let (snapshot, plan) = prepare(&case).unwrap_or_else(|e| panic!("[{file}] {}: {e}", case.name));
        let set = match &case.config {
            None => 0,
            Some(text) => *by_config.entry(text.clone()).or_insert_with(|| {
                sets.push((format!("config of case {:?}", case.name), builtin_with_config(text).expect("case config")));
                sets.len() - 1
            }),
        };
        out.push(Subject {
            label: format!("case [{file}] {}", case.name),
            set,
            snapshot,
            plan,
        });
    }
    sets.push(("policy init example".into(), org_set(org_dir)));
    let org = sets.len() - 1;
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures/snapshots"))
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .collect();
    fixtures.sort();
    for path in &fixtures {
        let snapshot = Snapshot::from_slice(&std::fs::read(path).expect("read"), path).expect("fixture parses");
        let name = path.file_name().expect("name").to_string_lossy();
        for phase in &Phase::ALL {
            for (target, set) in [("4.11.0", 0), ("4.4.0", 0), ("4.11.0", org)] {
                out.push(Subject {
                    label: format!("fixture {name}, {target}, {}, set {}", phase.as_str(), sets[set].0),
                    set,
                    snapshot: snapshot.clone(),
                    plan: fixture_plan(target, *phase),
                });
            }
        }
    }
    let corpus = root().join("fuzz/regressions/snapshot");
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&corpus).expect("fuzz corpus").map(|e| e.expect("entry").path()).collect();
    inputs.sort();
    for path in inputs {
        // An input the loader refuses never reaches the engines.
        if let Ok(snapshot) = Snapshot::from_slice(&std::fs::read(&path).expect("read"), &path) {
            for phase in &Phase::ALL {
                out.push(Subject {
                    label: format!("fuzz input {}, {}", path.display(), phase.as_str()),
                    set: 0,
                    snapshot: snapshot.clone(),
                    plan: fixture_plan("4.11.0", *phase),
                });
            }
        }
    }
    out
}

/// The Python of the OPA environment, or why there is none (a failure under CI=true).
fn opa_python() -> Option<PathBuf> {
    let python = root().join("target/opa-venv/bin/python");
    if python.exists() {
        return Some(python);
    }
    let why = "the OPA engine is not installed: run .ci/install-opa.sh (or ../shared/tools/opa/install.sh target/opa-venv)";
    assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true: {why}");
    eprintln!("\n!!!!! SKIPPED the OPA side of the differential tests: {why} !!!!!\n");
    None
}

/// OPA's outcome for every subject: one run of `tests/opa/driver.py` per policy set.
fn opa_outcomes(python: &Path, sets: &[(String, PolicySet)], subjects: &[Subject]) -> Vec<Result<serde_json::Value, &'static str>> {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut out = vec![Err("not evaluated"); subjects.len()];
    for (i, (name, set)) in sets.iter().enumerate() {
        let bundle = dir.path().join(format!("bundle-{i}"));
        set.export(&bundle).expect("export");
        let mine: Vec<usize> = (0..subjects.len()).filter(|&j| subjects[j].set == i).collect();
        let lines: String = mine
            .iter()
            .map(|&j| format!("{}\n", serde_json::to_string(&input_document(&subjects[j].snapshot, &subjects[j].plan)).expect("json")))
            .collect();
        let mut child = Command::new(python)
            .arg(root().join("tests/opa/driver.py"))
            .arg("eval")
            .arg(&bundle)
            .arg(REPORT)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run the OPA driver");
        let mut stdin = child.stdin.take().expect("stdin");
        // Written from a thread: the driver answers while it reads.
        let writer = std::thread::spawn(move || stdin.write_all(lines.as_bytes()).expect("write inputs"));
        let result = child.wait_with_output().expect("OPA driver");
        writer.join().expect("writer");
        assert!(result.status.success(), "the OPA driver failed on set {name}");
        let answers: Vec<serde_json::Value> =
            String::from_utf8_lossy(&result.stdout).lines().map(|l| serde_json::from_str(l).expect("driver line")).collect();
        assert_eq!(answers.len(), mine.len(), "set {name}: one answer per input");
        for (&j, answer) in mine.iter().zip(answers) {
            out[j] = answer.get("ok").map(|v| canonical(v.clone())).ok_or("error");
        }
    }
    out
}

#[test]
fn interpreter_rvm_and_opa_agree_on_every_case_fixture_and_fuzz_input() {
    let org_dir = tempfile::tempdir().expect("tempdir");
    let mut sets = vec![("built-in".to_string(), PolicySet::builtin().expect("built-in set"))];
    let subjects = subjects(&mut sets, &org_dir.path().join("org"));
    let opa = opa_python().map(|python| opa_outcomes(&python, &sets, &subjects));
    let mut disagreements = Vec::new();
    let mut rvm_disagreements = Vec::new();
    let mut errors = 0;
    for (i, s) in subjects.iter().enumerate() {
        let set = &sets[s.set].1;
        let interpreter = regorus_outcome(set, EnginePath::Interpreter, s);
        let rvm = regorus_outcome(set, EnginePath::Rvm, s);
        errors += usize::from(interpreter.is_err());
        if rvm != interpreter {
            rvm_disagreements.push(s.label.clone());
        }
        if let Some(opa) = &opa {
            if opa[i] != interpreter {
                disagreements.push(format!("{}: OPA {:?}\n  interpreter {interpreter:?}", s.label, opa[i]));
            }
        }
    }
    assert!(disagreements.is_empty(), "{} disagreement(s) in {} subjects:\n{}", disagreements.len(), subjects.len(), disagreements.join("\n"));
    // The RVM evaluates by default only while it agrees everywhere.
    if !rvm_disagreements.is_empty() {
        eprintln!("the RVM disagrees with the interpreter on {} of {} subjects:\n  {}", rvm_disagreements.len(), subjects.len(), rvm_disagreements.join("\n  "));
        assert!(!hcx_preflight::policy::engine::RVM_VERIFIED, "RVM_VERIFIED is true but the RVM disagrees on: {rvm_disagreements:?}");
        assert_eq!(PolicySet::builtin().expect("built-in").engine_path(), EnginePath::Interpreter);
    }
    // The comparison covers real decisions, not a wall of agreeing errors.
    assert!(errors * 10 < subjects.len(), "{errors} of {} subjects failed to evaluate", subjects.len());
    assert!(subjects.len() > 100, "only {} subjects", subjects.len());
}

#[test]
fn the_generated_entrypoint_lists_every_loaded_rule_package() {
    let org_dir = tempfile::tempdir().expect("tempdir");
    let set = org_set(&org_dir.path().join("org"));
    let generated = set.modules().last().expect("modules");
    assert_eq!(generated.bundle_path, hcx_preflight::policy::entrypoint::BUNDLE_PATH);
    for package in ["backup", "boundaries", "facts", "health", "operations", "versions", "acme"] {
        let line = format!("raw contains v if some v in data.hcx.rules.{package}.violation\n");
        assert!(generated.text.contains(&line), "{line:?} missing from\n{}", generated.text);
    }
    assert!(!generated.text.contains("_test"), "test packages are not rule packages:\n{}", generated.text);
    // Nothing in the set looks rule packages up dynamically any more.
    assert!(set.modules().iter().all(|m| !m.text.contains("data.hcx.rules[name]")));
}

#[test]
fn a_set_the_rvm_cannot_compile_falls_back_to_the_interpreter_with_the_reason() {
    // A dynamic lookup of packages, as the entrypoint once had: the interpreter
    // evaluates it, the RVM compiler refuses it.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("dyn.rego"),
        "package hcx.rules.dynamic\n\nviolation contains v if {\n\tsome name\n\tsome v in data.hcx.rules[name].extra\n}\n",
    )
    .expect("write");
    let set = PolicySet::load(&LoadOptions {
        policy_dirs: vec![dir.path().to_path_buf()],
        ..Default::default()
    })
    .expect("loads");
    assert_eq!(set.engine_path(), EnginePath::Interpreter);
    let forced = PolicySet::load(&LoadOptions {
        policy_dirs: vec![dir.path().to_path_buf()],
        engine: EngineChoice::Rvm,
        ..Default::default()
    });
    let err = forced.expect_err("--engine rvm cannot fall back").to_string();
    assert!(err.contains("the RVM cannot compile"), "{err}");
    let reason = set.engine_fallback().expect("a reason");
    assert!(!reason.is_empty());
    let snapshot = Snapshot::from_slice(
        &std::fs::read(root().join("fixtures/snapshots/two-site-healthy.json")).expect("read"),
        Path::new("two-site-healthy.json"),
    )
    .expect("fixture");
    let evaluation = set.evaluate_value(input_value(&snapshot, &fixture_plan("4.11.0", Phase::Managers)).expect("input")).expect("evaluates");
    assert_eq!(evaluation.path, EnginePath::Interpreter);
    assert_eq!(evaluation.fallback.as_deref(), Some(reason));
}

#[test]
fn organisation_modules_go_to_the_interpreter_unless_the_rvm_is_asked_for() {
    let dir = tempfile::tempdir().expect("tempdir");
    hcx_preflight::policy::init::init(&dir.path().join("org")).expect("policy init");
    let load = |engine| {
        PolicySet::load(&LoadOptions {
            policy_dirs: vec![dir.path().join("org")],
            engine,
            ..Default::default()
        })
        .expect("loads")
    };
    let auto = load(EngineChoice::Auto);
    assert_eq!(auto.engine_path(), EnginePath::Interpreter);
    assert_eq!(auto.engine_fallback(), Some(hcx_preflight::policy::engine::UNVERIFIED));
    assert_eq!(load(EngineChoice::Rvm).engine_path(), EnginePath::Rvm);
    assert_eq!(load(EngineChoice::Interpreter).engine_path(), EnginePath::Interpreter);
    let builtin = if hcx_preflight::policy::engine::RVM_VERIFIED { EnginePath::Rvm } else { EnginePath::Interpreter };
    assert_eq!(PolicySet::builtin().expect("built-in").engine_path(), builtin);
}

#[test]
fn check_verbose_names_the_engine_and_why_not_the_rvm() {
    let dir = tempfile::tempdir().expect("tempdir");
    hcx_preflight::policy::init::init(&dir.path().join("org")).expect("policy init");
    let snapshot = root().join("fixtures/snapshots/two-site-healthy.json");
    let stderr = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_hcx-preflight"))
            .current_dir(dir.path())
            .args(["check", "--verbose", "--format", "json", "--target", "4.11.0", "--now", "2026-11-29T09:05:00Z", "--snapshot"])
            .arg(&snapshot)
            .args(extra)
            .output()
            .expect("run hcx-preflight");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let builtin = stderr(&[]);
    if hcx_preflight::policy::engine::RVM_VERIFIED {
        assert!(builtin.starts_with("engine: rvm ("), "{builtin}");
    } else {
        assert!(builtin.starts_with("engine: interpreter (fallback from the RVM: the differential tests show"), "{builtin}");
    }
    let rvm = stderr(&["--engine", "rvm"]);
    assert!(rvm.starts_with("engine: rvm ("), "{rvm}");
    let org = stderr(&["--policy-dir", "org"]);
    assert!(org.starts_with("engine: interpreter (fallback from the RVM: the set has organisation modules"), "{org}");
    let forced = stderr(&["--engine", "interpreter"]);
    assert!(forced.starts_with("engine: interpreter (fallback from the RVM: the interpreter was asked for"), "{forced}");
}
