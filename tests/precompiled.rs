//! The built-in set that `build.rs` compiles to an RVM program is the set the run time
//! compiles: the same generated entrypoint part and digest, and the same report on every
//! fixture in every phase. A set with an organisation directory (even an empty one) is
//! compiled at run time, which gives the comparison its other side.

use std::path::PathBuf;

use hcx_preflight::check::rests_on::attested_facts_input;
use hcx_preflight::plan::{input_value, parse_time, FailOn, Phase, Plan};
use hcx_preflight::policy::engine::EnginePath;
use hcx_preflight::policy::{LoadOptions, PolicySet};
use hcx_preflight::snapshot::Snapshot;

use crate::common::root;

#[test]
fn the_program_compiled_at_build_time_is_what_the_run_time_compiles() {
    let built = PolicySet::builtin().expect("built-in set");
    assert!(built.compiled_at_build_time(), "build.rs did not compile the built-in set: see the warning of the build");
    assert_eq!(built.engine_path(), EnginePath::Rvm);
    let empty = tempfile::tempdir().expect("tempdir");
    let at_run_time = PolicySet::load(&LoadOptions {
        policy_dirs: vec![empty.path().to_path_buf()],
        ..Default::default()
    })
    .expect("the built-in set with an empty organisation directory");
    assert!(!at_run_time.compiled_at_build_time());
    assert_eq!(at_run_time.engine_path(), EnginePath::Rvm);
    let generated = |set: &PolicySet| set.modules().last().expect("modules").text.clone();
    assert_eq!(generated(&built), generated(&at_run_time), "the generated entrypoint part");
    assert_eq!(built.digest(), at_run_time.digest());

    let mut fixtures: Vec<PathBuf> =
        std::fs::read_dir(root().join("fixtures/snapshots")).expect("fixtures").map(|e| e.expect("entry").path()).collect();
    fixtures.sort();
    let mut compared = 0;
    for path in &fixtures {
        let snapshot = Snapshot::from_slice(&std::fs::read(path).expect("read"), path).expect("fixture parses");
        for phase in Phase::ALL {
            for target in ["4.4.0", "4.11.0"] {
                let plan = Plan {
                    target_version: target.parse().expect("version"),
                    phase,
                    evaluated_at: parse_time("2026-11-29T09:05:00Z").expect("time"),
                    fail_on: FailOn::Deny,
                };
                let input = input_value(&snapshot, &plan).expect("input");
                let by_build = built.evaluate_raw(EnginePath::Rvm, input.clone()).expect("build-time program");
                let by_run = at_run_time.evaluate_raw(EnginePath::Rvm, input.clone()).expect("run-time program");
                assert_eq!(by_build, by_run, "{}, {target}, {}", path.display(), phase.as_str());
                // The interpreter of a precompiled set is built on demand, from the same text.
                let interpreted = built.evaluate_raw(EnginePath::Interpreter, input).expect("interpreter");
                assert_eq!(by_build, interpreted, "{}, {target}, {}: the interpreter", path.display(), phase.as_str());
                compared += 1;
            }
        }
    }
    assert!(compared > 20, "only {compared} comparisons");
}

/// The decision record's verdict on attested facts comes from the same program: the RVM
/// and the interpreter agree on every fixture with attested facts, holding or lapsed.
#[test]
fn the_program_and_the_interpreter_agree_on_attested_facts() {
    let set = PolicySet::builtin().expect("built-in set");
    let rule = hcx_preflight::policy::entrypoint::text::ATTESTED_FACTS_RULE;
    let mut compared = 0;
    for entry in std::fs::read_dir(root().join("fixtures/snapshots")).expect("fixtures") {
        let path = entry.expect("entry").path();
        let snapshot = Snapshot::from_slice(&std::fs::read(&path).expect("read"), &path).expect("fixture parses");
        let doc = serde_json::to_value(&snapshot).expect("json");
        // Held at the collection, lapsed by age a month later.
        for now in ["2026-11-29T09:05:00Z", "2026-12-30T09:05:00Z"] {
            let plan = Plan {
                target_version: "4.11.0".parse().expect("version"),
                phase: Phase::Managers,
                evaluated_at: parse_time(now).expect("time"),
                fail_on: FailOn::Deny,
            };
            // The input the decision record evaluates, as check::rests_on makes it.
            let Some(input) = attested_facts_input(&doc, &plan) else {
                break;
            };
            let facts = input["attested"].as_array().expect("attested").len();
            let input = regorus::Value::from(input);
            let by_rvm = set.evaluate_rule_raw(EnginePath::Rvm, rule, input.clone()).expect("rvm");
            let by_interpreter = set.evaluate_rule_raw(EnginePath::Interpreter, rule, input).expect("interpreter");
            assert_eq!(by_rvm, by_interpreter, "{} at {now}", path.display());
            assert_eq!(by_rvm.as_set().map(|s| s.len()).unwrap_or(0), facts, "{}: one verdict per fact", path.display());
            compared += 1;
        }
    }
    assert!(compared >= 2, "only {compared} fixtures with attested facts");
}

#[test]
fn the_interpreter_asked_for_does_not_run_the_program() {
    let set = PolicySet::load(&LoadOptions {
        engine: hcx_preflight::policy::engine::EngineChoice::Interpreter,
        ..Default::default()
    })
    .expect("built-in set");
    assert!(!set.compiled_at_build_time());
    assert_eq!(set.engine_path(), EnginePath::Interpreter);
}
