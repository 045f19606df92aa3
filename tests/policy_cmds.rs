//! `policy test`, `policy init` and `policy check`, run through the real binary:
//! whole outputs (temporary paths redacted as `<DIR>`) and exit codes.

use std::path::Path;

use assert_cmd::Command;

use super::reports::assert_expected;
use crate::common::{files_under, root};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Run the binary in the repository root; `dir` is redacted from the outputs.
/// How many built-in Rego tests there are (each org test adds to it).
fn builtin_tests() -> usize {
    let r = run(&["policy", "test"], None);
    let last = r.stdout.lines().last().unwrap_or_default();
    last.split(' ').next().and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no summary line: {}", r.stdout))
}

/// The built-in set as `policy check` counts it: rule modules, test modules, catalog ids
/// (derived from the files, so that a new rule or test does not need an edit here).
fn builtin_counts() -> (usize, usize, usize) {
    let files = files_under(&root().join("policies"), "rego");
    let tests = files.iter().filter(|p| p.to_string_lossy().ends_with("_test.rego")).count();
    let catalog: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root().join("policies/hcx/catalog/data.json")).expect("catalog")).expect("json");
    (files.len() - tests, tests, catalog.as_object().expect("catalog object").len())
}

fn run(args: &[&str], dir: Option<&Path>) -> Run {
    let out = Command::cargo_bin("hcx-preflight")
        .unwrap()
        .current_dir(root())
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap();
    let redact = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes).into_owned();
        match dir {
            Some(d) => text.replace(&d.display().to_string(), "<DIR>"),
            None => text,
        }
    };
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: redact(&out.stdout),
        stderr: redact(&out.stderr),
    }
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

#[test]
fn the_built_in_tests_pass_with_full_coverage() {
    let r = run(&["policy", "test", "--coverage-threshold", "100"], None);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""), "{}", r.stdout);
    assert_expected("policy-test-builtin.txt", &r.stdout);
}

/// An organisation rule `org-thing` (without evidence) and its catalog entry.
fn org_thing(d: &Path) {
    write(d, "hcx/catalog/data.json", r#"{"org-thing": {"title": "T", "severity": "warn", "remediation": "R"}}"#);
    write(
        d,
        "org/thing.rego",
        "package hcx.rules.org\n\nimport data.hcx.lib\n\nviolation contains lib.finding(\"org-thing\", null, \"x\", \"m\") if {\n\tlib.phase == \"verify\"\n}\n",
    );
}

#[test]
fn a_failing_test_or_low_coverage_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    org_thing(d);
    write(d, "org/thing_test.rego", "package hcx.rules.org_test\n\ntest_passes if true\n\ntest_fails if 1 == 2\n");
    let dirs = [d.to_str().unwrap()];
    let r = run(&["policy", "test", dirs[0]], Some(d));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_expected("policy-test-failing.txt", &r.stdout);

    // Passing tests, but the org rule's body is never evaluated: under the threshold.
    write(d, "org/thing_test.rego", "package hcx.rules.org_test\n\ntest_passes if true\n");
    // (The total depends on the built-in line count; one uncovered line keeps it under 99.99%.)
    let r = run(&["policy", "test", dirs[0], "--coverage-threshold", "99.99"], Some(d));
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.starts_with("coverage 99.") && r.stderr.ends_with("% is under the threshold 99.99%\n"), "{}", r.stderr);
    assert!(r.stdout.contains("\n   50.0%        1/2 lines  <DIR>/org/thing.rego\n"), "{}", r.stdout);
    assert!(r.stdout.ends_with(&format!("\n{} passed, 0 failed\n", builtin_tests() + 1)), "{}", r.stdout);
    let r = run(&["policy", "test", dirs[0], "--coverage-threshold", "99"], Some(d));
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn a_test_module_that_does_not_parse_cannot_run() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t/broken_test.rego", "package t\n\ntest_x if {\n");
    let r = run(&["policy", "test", dir.path().to_str().unwrap()], Some(dir.path()));
    assert_eq!((r.code, r.stdout.as_str()), (2, ""));
    assert!(r.stderr.starts_with("error: policy <DIR>/t/broken_test.rego does not compile:\n"), "{}", r.stderr);
    assert!(r.stderr.contains("<DIR>/t/broken_test.rego:4:1"), "{}", r.stderr);
}

#[test]
fn init_then_test_then_check() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("org");
    let dir = d.to_str().unwrap();
    let r = run(&["policy", "init", dir], Some(&d));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "<DIR>/acme/change_window.rego\n<DIR>/acme/change_window_test.rego\n<DIR>/hcx/catalog/data.json\n<DIR>/hcx/params/data.json\n<DIR>/hcx-preflight.toml\n"
    );

    let r = run(&["policy", "test", dir, "--coverage-threshold", "100"], Some(&d));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("PASS data.hcx.rules.acme_test.test_outside_the_hours_fires (<DIR>/acme/change_window_test.rego:18)\n"), "{}", r.stdout);
    assert!(r.stdout.contains("\n  100.0%      18/18 lines  <DIR>/acme/change_window.rego\n"), "{}", r.stdout);
    assert!(r.stdout.ends_with(&format!("\n{} passed, 0 failed\n", builtin_tests() + 6)), "{}", r.stdout);

    let config = format!("{dir}/hcx-preflight.toml");
    let r = run(&["policy", "check", "--policy-dir", dir, "--config", &config], Some(&d));
    let (modules, tests, ids) = builtin_counts();
    let want = format!("ok: {} modules, {} test modules, {} catalog ids\n", modules + 1, tests + 1, ids + 1);
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (0, want.as_str(), ""));

    // busy-estate at 09:05 on a Sunday is outside the window (hours 19 to 23 in the config).
    let r = run(
        &[
            "check", "--snapshot", "fixtures/snapshots/busy-estate.json", "--target", "4.11.0", "--now", "2026-11-29T09:05:00Z",
            "--format", "json", "--policy-dir", dir, "--config", &config,
        ],
        Some(&d),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let decision: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let window: Vec<&serde_json::Value> = decision["findings"].as_array().unwrap().iter().filter(|f| f["id"] == "acme-change-window").collect();
    assert_eq!(window.len(), 1, "{}", r.stdout);
    assert_eq!(
        window[0]["message"],
        "the upgrade is judged at 2026-11-29T09:05:00Z (Sunday, hour 9 UTC), outside the ACME change window (Saturday, Sunday, from hour 19 to hour 23 UTC)"
    );
    // The config's severity override and disabled rule took effect.
    assert!(decision["findings"].as_array().unwrap().iter().all(|f| f["id"] != "version-skew"));

    let r = run(&["policy", "init", dir], Some(&d));
    assert_eq!(r.code, 2);
    assert!(r.stderr.starts_with("error: refusing to overwrite what exists: <DIR>/acme/change_window.rego, "), "{}", r.stderr);
}

/// A rule without evidence is a warning: named with its line, and the check still passes.
#[test]
fn policy_check_warns_of_rules_without_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    org_thing(d);
    let r = run(&["policy", "check", "--policy-dir", d.to_str().unwrap()], Some(d));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let (lines, last) = r.stdout.trim_end().rsplit_once('\n').unwrap();
    assert!(lines.starts_with("warning: <DIR>/org/thing.rego:5: this rule emits findings without evidence"), "{}", r.stdout);
    assert!(last.starts_with("ok: "), "{}", r.stdout);
}

#[test]
fn policy_check_lists_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "x/bad.rego",
        "package hcx.rules.bad\n\nimport data.hcx.lib\n\nviolation contains lib.finding(\"bad-unknown-id\", null, \"r\", msg) if {\n\tmsg := foo.bar(1)\n}\n\nviolation contains {\"id\": \"other-unknown\", \"message\": \"m\"} if {\n\tlib.nothere(2)\n\thelper(1)\n\tlib.as_list(null) == []\n}\n\nhelper(x) := x\n",
    );
    let r = run(&["policy", "check", "--policy-dir", d.to_str().unwrap()], Some(d));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "<DIR>/x/bad.rego:5: finding id `bad-unknown-id` is not in the catalog (data.hcx.catalog); add it to a hcx/catalog/data.json\n\
         <DIR>/x/bad.rego:6: call of unknown function `foo.bar` (neither a builtin nor a function of the policy set)\n\
         <DIR>/x/bad.rego:9: finding id `other-unknown` is not in the catalog (data.hcx.catalog); add it to a hcx/catalog/data.json\n\
         <DIR>/x/bad.rego:10: call of unknown function `lib.nothere` (neither a builtin nor a function of the policy set)\n\
         warning: <DIR>/x/bad.rego:5: this rule emits findings without evidence: wrap the finding as lib.with_evidence(lib.finding(...), [lib.evidence_at([\"sites\", i, ...]), ...]) so that each finding names the facts it read (contract section 4)\n\
         warning: <DIR>/x/bad.rego:9: this rule emits findings without evidence: wrap the finding as lib.with_evidence(lib.finding(...), [lib.evidence_at([\"sites\", i, ...]), ...]) so that each finding names the facts it read (contract section 4)\n\
         4 problems\n"
    );

    // Files that do not parse are all named, with their lines.
    write(d, "x/worse.rego", "package hcx.rules.worse\n\nx if {\n");
    write(d, "y/also.rego", "package hcx.rules.also\n\ny := [1,\n");
    let r = run(&["policy", "check", "--policy-dir", d.to_str().unwrap()], Some(d));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "<DIR>/x/bad.rego:5: finding id `bad-unknown-id` is not in the catalog (data.hcx.catalog); add it to a hcx/catalog/data.json\n\
         <DIR>/x/bad.rego:9: finding id `other-unknown` is not in the catalog (data.hcx.catalog); add it to a hcx/catalog/data.json\n\
         <DIR>/x/worse.rego:4: expecting expression\n\
         <DIR>/y/also.rego:4: expecting `]` while parsing array\n\
         warning: <DIR>/x/bad.rego:5: this rule emits findings without evidence: wrap the finding as lib.with_evidence(lib.finding(...), [lib.evidence_at([\"sites\", i, ...]), ...]) so that each finding names the facts it read (contract section 4)\n\
         warning: <DIR>/x/bad.rego:9: this rule emits findings without evidence: wrap the finding as lib.with_evidence(lib.finding(...), [lib.evidence_at([\"sites\", i, ...]), ...]) so that each finding names the facts it read (contract section 4)\n\
         4 problems\n"
    );
}

#[test]
fn policy_check_reports_config_problems_and_fails_to_run_on_a_missing_dir() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(&config, "[rules]\ndisabled = [\"no-such-rule\"]\n").unwrap();
    let r = run(&["policy", "check", "--config", config.to_str().unwrap()], Some(dir.path()));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "<DIR>/c.toml:2: rules.disabled names unknown rule id `no-such-rule` (see `hcx-preflight policy list`)\n1 problem\n"
    );
    let missing = dir.path().join("missing");
    let r = run(&["policy", "check", "--policy-dir", missing.to_str().unwrap()], Some(dir.path()));
    assert_eq!((r.code, r.stdout.as_str()), (2, ""));
    assert!(r.stderr.starts_with("error: cannot read policy directory <DIR>/missing"), "{}", r.stderr);
}

#[test]
fn the_built_in_set_passes_policy_check() {
    let r = run(&["policy", "check"], None);
    let (modules, tests, ids) = builtin_counts();
    let want = format!("ok: {modules} modules, {tests} test modules, {ids} catalog ids\n");
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (0, want.as_str(), ""));
}

/// The Service Mesh rules name the vendor pages they rest on.
#[test]
fn policy_explain_names_the_sources_of_the_mesh_rules() {
    for id in ["managers-first", "appliance-version-lag", "osam-redeploy", "ne-ha-failover-upgrade", "active-operations"] {
        let r = run(&["policy", "explain", id], None);
        assert_eq!(r.code, 0, "{id}: {}", r.stderr);
        assert!(r.stdout.contains("\nreferences:  ") && r.stdout.contains("https://docs.vmware.com/en/VMware-HCX/"), "{id}:\n{}", r.stdout);
    }
}

/// An org rule whose body only one of its two tests reaches.
fn org_with_tests(d: &Path) {
    write(d, "hcx/catalog/data.json", r#"{"org-thing": {"title": "T", "severity": "warn", "remediation": "R"}}"#);
    write(
        d,
        "org/thing.rego",
        "package hcx.rules.org\n\nimport data.hcx.lib\n\nviolation contains lib.finding(\"org-thing\", null, \"x\", \"m\") if {\n\tlib.phase == \"verify\"\n}\n",
    );
    write(d, "org/thing_test.rego", "package hcx.rules.org_test\n\ntest_passes if true\n\ntest_fails if 1 == 2\n");
}

#[test]
fn policy_test_run_filters_by_name_and_format_json_is_one_document() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    org_with_tests(d);
    let r = run(&["policy", "test", d.to_str().unwrap(), "--run", "org_test\\.test_pass"], Some(d));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let tests: Vec<&str> = r.stdout.lines().filter(|l| l.starts_with("PASS") || l.starts_with("FAIL")).collect();
    assert_eq!(tests, vec!["PASS data.hcx.rules.org_test.test_passes (<DIR>/org/thing_test.rego:3)"]);
    assert!(r.stdout.ends_with("\n1 passed, 0 failed\n"), "{}", r.stdout);

    let r = run(&["policy", "test", d.to_str().unwrap(), "--run", "org_test", "--format", "json"], Some(d));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("one JSON document");
    assert_eq!((doc["passed"].as_u64(), doc["failed"].as_u64()), (Some(1), Some(1)));
    assert_eq!(doc["tests"][1]["name"], "data.hcx.rules.org_test.test_fails");
    assert_eq!(doc["tests"][1]["error"], "undefined: a condition of the test does not hold");
    let file = doc["coverage"]["files"].as_array().unwrap().iter().find(|f| f["file"] == "<DIR>/org/thing.rego").expect("org file");
    // Only the org tests ran: neither the rule head nor its body was evaluated.
    assert_eq!(file["uncovered"], serde_json::json!(["5-6"]));

    let r = run(&["policy", "test", "--run", "("], None);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--run"), "{}", r.stderr);
}

#[test]
fn policy_test_coverage_lists_the_uncovered_lines() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    org_with_tests(d);
    let r = run(&["policy", "test", d.to_str().unwrap(), "--coverage"], Some(d));
    assert_eq!(r.code, 1, "{}", r.stderr);
    // The body runs (and is false); the head that would emit the finding never does.
    assert!(r.stdout.contains("\nuncovered lines:\n  <DIR>/org/thing.rego:5\n\n"), "{}", r.stdout);
    // Without --coverage, the output is as before: percentages only.
    let r = run(&["policy", "test", d.to_str().unwrap()], Some(d));
    assert!(!r.stdout.contains("uncovered"), "{}", r.stdout);
    // The built-in set is fully covered.
    let r = run(&["policy", "test", "--coverage"], None);
    assert!(r.stdout.contains("\nuncovered lines: none\n"), "{}", r.stdout);
}

#[test]
fn policy_list_fits_80_columns_and_shows_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(&config, "[rules]\ndisabled = [\"version-skew\"]\n[rules.severity]\nbackup-missing = \"warn\"\n").unwrap();
    let r = run(&["policy", "list", "--config", config.to_str().unwrap()], Some(dir.path()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    for line in r.stdout.lines() {
        assert!(line.chars().count() <= 80, "{} columns: {line}", line.chars().count());
    }
    let row = |id: &str| r.stdout.lines().find(|l| l.starts_with(&format!("│ {id} "))).unwrap_or_else(|| panic!("{id}: {}", r.stdout)).to_string();
    assert!(row("backup-missing").contains("┆ warn "), "{}", r.stdout);
    assert!(row("version-skew").contains("┆ disabled "), "{}", r.stdout);
    assert!(row("disk-space").contains("┆ deny "), "{}", r.stdout);
}

#[test]
fn unknown_rule_ids_get_a_suggestion() {
    let r = run(&["policy", "explain", "backup-mising"], None);
    assert_eq!((r.code, r.stdout.as_str()), (2, ""));
    assert!(r.stderr.contains("unknown rule id `backup-mising` (did you mean `backup-missing`?)"), "{}", r.stderr);

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(&config, "[rules.severity]\nversion-skwe = \"warn\"\n").unwrap();
    let r = run(&["policy", "check", "--config", config.to_str().unwrap()], Some(dir.path()));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.contains("<DIR>/c.toml:2: rules.severity names unknown rule id `version-skwe` (did you mean `version-skew`?)"), "{}", r.stdout);
}
