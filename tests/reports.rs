//! Report formats: exact output of each renderer on a fixed decision (compared with
//! files under tests/expected/; `UPDATE_EXPECTED=1` rewrites them), SARIF validated
//! against the SARIF 2.1.0 JSON schemas (tests/schemas/README.md), JUnit checked for the structure the JUnit
//! schema requires, and the real binary writing every format to stdout and `--output`.


use assert_cmd::Command;
use hcx_preflight::findings::{Waiver, Decision, Evidence, Finding, Severity};
use hcx_preflight::plan::{FailOn, Phase, Plan};
use hcx_preflight::report::{render, Format, ReportContext, RuleInfo};
use hcx_preflight::text::RenderOptions;

use crate::common::root;

/// Compare `actual` with tests/expected/NAME, or rewrite it under UPDATE_EXPECTED=1.
pub fn assert_expected(name: &str, actual: &str) {
    let path = root().join("tests/expected").join(name);
    if std::env::var_os("UPDATE_EXPECTED").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if expected != actual {
        let first = expected.lines().zip(actual.lines()).position(|(a, b)| a != b);
        panic!(
            "{} differs (first differing line {:?}); run with UPDATE_EXPECTED=1 to accept.\n--- actual ---\n{actual}",
            path.display(),
            first.map(|i| i + 1)
        );
    }
}

fn waiver(id: &str, site: Option<&str>, reason: &str, expires: &str) -> Waiver {
    Waiver {
        id: id.into(),
        site: site.map(str::to_string),
        resource: None,
        reason: reason.into(),
        approved_by: "CAB-2026-118".into(),
        expires: expires.into(),
    }
}

fn finding(id: &str, severity: Severity, site: Option<&str>, resource: &str, message: &str) -> Finding {
    let (title, remediation, kb) = match id {
        "backup-missing" => ("No recent backup of the HCX Manager", "Back up the manager & collect again.", None),
        "kb90082-local-fqdn" => ("A .local name crosses the Photon OS boundary", "Rename, or add <DNS> entries.", Some("90082")),
        "snapshot-recommended" => ("Take vSphere snapshots of the managers", "Take optional vSphere snapshots.", None),
        "snapshot-stale" => ("The snapshot is too old", "Collect again.", None),
        "version-skew" => ("Site-paired managers differ", "Upgrade both managers.", None),
        "waiver-expired" => ("A waiver has expired", "Renew or remove the waiver.", None),
        other => panic!("no fixture text for {other}"),
    };
    Finding {
        id: id.into(),
        severity,
        site: site.map(str::to_string),
        kb: kb.map(str::to_string),
        title: title.into(),
        message: message.into(),
        remediation: remediation.into(),
        resource: Some(resource.into()),
        waived: false,
        kb_url: kb.map(hcx_preflight::findings::kb_url),
        waiver: None,
        evidence: None,
        default_severity: None,
    }
}

fn evidence(pointer: Option<&str>, param: Option<&str>, value: serde_json::Value, attestation: Option<serde_json::Value>) -> Evidence {
    Evidence {
        pointer: pointer.map(str::to_string),
        param: param.map(str::to_string),
        value,
        attestation,
    }
}

fn rule(id: &str, severity: Severity, disabled: bool) -> RuleInfo {
    let f = finding(id, severity, None, "-", "-");
    RuleInfo {
        id: id.into(),
        title: f.title,
        severity,
        kb: f.kb,
        when: Some(format!("when {id} applies")),
        remediation: f.remediation,
        disabled,
    }
}

/// A decision with every kind of outcome: deny, warn, info, waived, a finding without
/// a site, an expired waiver and a disabled rule.
pub fn fixed(fail_on: FailOn) -> (Decision, ReportContext) {
    let applied = waiver("version-skew", Some("source"), "cloud side upgraded first in window 2", "2026-12-31T23:59:59Z");
    let expired = waiver("backup-missing", None, "backup appliance replaced", "2026-11-01T00:00:00Z");
    let unused = waiver("snapshot-stale", Some("cloud-east"), "read-only estate", "2027-01-31T23:59:59Z");
    let mut skew = finding("version-skew", Severity::Warn, Some("source"), "cloud-east", "hcx-connector is on 4.10.3 but cloud-east is on 4.11.0");
    skew.waived = true;
    skew.waiver = Some(applied.clone());
    // Evidence as the rules give it: an attested fact, a plain fact, a param.
    let mut backup = finding("backup-missing", Severity::Deny, Some("source"), "hcx-connector.corp.local", "no successful backup of hcx-connector.corp.local is known");
    backup.evidence = Some(vec![
        evidence(Some("/sites/0/backup/supported"), None, serde_json::json!(true), None),
        evidence(
            Some("/sites/0/backup/last_success_at"),
            None,
            serde_json::Value::Null,
            Some(serde_json::json!({"attested_by": "a.admin", "attested_at": "2026-11-29T09:00:00Z", "evidence": "backup job <4711> & log"})),
        ),
    ]);
    let mut stale = finding("snapshot-stale", Severity::Deny, None, "2026-11-29T07:00:00Z", "the snapshot was collected 125 minutes before the evaluation");
    stale.evidence = Some(vec![
        evidence(Some("/collected_at"), None, serde_json::json!("2026-11-29T07:00:00Z"), None),
        evidence(None, Some("thresholds.snapshot_max_age_minutes"), serde_json::json!(60), None),
    ]);
    let findings = vec![
        backup,
        finding("kb90082-local-fqdn", Severity::Warn, Some("source"), "hcx-connector.corp.local", "hcx-connector.corp.local is in the .local domain \"corp\""),
        finding("snapshot-recommended", Severity::Info, Some("cloud-east"), "hcx-cloud.east.example", "take a vSphere snapshot of hcx-cloud.east.example"),
        finding("snapshot-recommended", Severity::Info, Some("source"), "hcx-connector.corp.local", "take a vSphere snapshot of hcx-connector.corp.local"),
        stale,
        finding("waiver-expired", Severity::Warn, None, "backup-missing", "the waiver for backup-missing expired at 2026-11-01T00:00:00Z"),
        skew,
    ];
    let plan = Plan {
        target_version: "4.11.0".parse().unwrap(),
        phase: Phase::Managers,
        evaluated_at: "2026-11-29T09:05:00Z".parse().unwrap(),
        fail_on,
    };
    let mut d = Decision::new(findings, &plan, "a".repeat(64), "b".repeat(64));
    d.tool.version = "0.0.0-test".into();
    let ctx = ReportContext {
        rules: vec![
            rule("backup-missing", Severity::Deny, false),
            RuleInfo {
                id: "disk-space".into(),
                title: "/common is nearly full".into(),
                severity: Severity::Deny,
                kb: None,
                when: None,
                remediation: "Free space on /common.".into(),
                disabled: true,
            },
            rule("kb90082-local-fqdn", Severity::Warn, false),
            rule("snapshot-recommended", Severity::Info, false),
            rule("snapshot-stale", Severity::Deny, false),
            rule("version-skew", Severity::Warn, false),
            rule("waiver-expired", Severity::Warn, false),
        ],
        sites: vec!["source".into(), "cloud-east".into()],
        snapshot_path: Some("snapshots/estate.json".into()),
        policy_sources: vec!["policies/hcx/rules/backup.rego".into(), "org/acme.rego".into()],
        waivers: vec![applied, expired, unused],
    };
    (d, ctx)
}

fn rendered(format: Format, fail_on: FailOn) -> String {
    let (d, ctx) = fixed(fail_on);
    let mut buf = Vec::new();
    render(&d, format, RenderOptions::default(), &ctx, &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

#[test]
fn junit_exact_output() {
    assert_expected("report.junit.xml", &rendered(Format::Junit, FailOn::Deny));
}

#[test]
fn junit_fail_on_warn_exact_output() {
    assert_expected("report-fail-on-warn.junit.xml", &rendered(Format::Junit, FailOn::Warn));
}

#[test]
fn sarif_exact_output() {
    assert_expected("report.sarif.json", &rendered(Format::Sarif, FailOn::Deny));
}

#[test]
fn markdown_exact_output() {
    assert_expected("report.md", &rendered(Format::Markdown, FailOn::Deny));
}

// ---- SARIF against the schema ----

/// The trimmed SARIF 2.1.0 schema (draft-07) written for these tests.
pub(crate) fn sarif_validator() -> jsonschema::Validator {
    validator("sarif-2.1.0-subset.json")
}

/// The full SARIF 2.1.0 (rtm.5) schema as SchemaStore serves it (see tests/schemas/README.md).
pub(crate) fn full_sarif_validator() -> jsonschema::Validator {
    validator("sarif-2.1.0-rtm.5.json")
}

/// The `language` pattern of rtm.5 has a stray `]` that JSON Schema's `regex` format
/// rejects; the final OASIS 2.1.0 schema reads it as below. Nothing else is changed.
const BROKEN_LANGUAGE_PATTERN: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
const FIXED_LANGUAGE_PATTERN: &str = "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$";

fn validator(name: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("tests/schemas").join(name)).unwrap();
    let text = text.replace(&serde_json::to_string(BROKEN_LANGUAGE_PATTERN).unwrap(), &serde_json::to_string(FIXED_LANGUAGE_PATTERN).unwrap());
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

pub(crate) fn schema_errors(v: &jsonschema::Validator, doc: &serde_json::Value) -> Vec<String> {
    v.iter_errors(doc).map(|e| format!("{} at {}", e, e.instance_path())).collect()
}

#[test]
fn sarif_validates_against_the_schemas() {
    for v in [sarif_validator(), full_sarif_validator()] {
        for fail_on in [FailOn::Deny, FailOn::Warn] {
            let doc: serde_json::Value = serde_json::from_str(&rendered(Format::Sarif, fail_on)).unwrap();
            assert_eq!(schema_errors(&v, &doc), Vec::<String>::new());
        }
    }
}

#[test]
fn the_sarif_schemas_reject_what_sarif_forbids() {
    let (subset, full) = (sarif_validator(), full_sarif_validator());
    let good: serde_json::Value = serde_json::from_str(&rendered(Format::Sarif, FailOn::Deny)).unwrap();
    type Breakage = (&'static str, fn(&mut serde_json::Value));
    let breakages: [Breakage; 5] = [
        ("version", |d| d["version"] = "2.0.0".into()),
        ("level", |d| d["runs"][0]["results"][0]["level"] = "deny".into()),
        ("message", |d| d["runs"][0]["results"][0]["message"] = serde_json::json!({})),
        ("driver name", |d| {
            d["runs"][0]["tool"]["driver"].as_object_mut().unwrap().remove("name");
        }),
        ("suppression kind", |d| {
            let r = d["runs"][0]["results"].as_array_mut().unwrap().iter_mut().find(|r| r.get("suppressions").is_some()).unwrap();
            r["suppressions"][0]["kind"] = "waiver".into();
        }),
    ];
    for (what, f) in breakages {
        let mut doc = good.clone();
        f(&mut doc);
        assert!(!schema_errors(&subset, &doc).is_empty(), "a SARIF log with a bad {what} passed the subset schema");
        assert!(!schema_errors(&full, &doc).is_empty(), "a SARIF log with a bad {what} passed the full schema");
    }
}

// ---- JUnit structure ----

#[derive(Debug, Default, PartialEq)]
pub struct JunitCounts {
    pub tests: usize,
    pub failures: usize,
    pub skipped: usize,
}

pub(crate) fn attrs(e: &quick_xml::events::BytesStart) -> std::collections::BTreeMap<String, String> {
    e.attributes()
        .map(|a| {
            let a = a.expect("well-formed attribute");
            (a.key.into_inner().to_string(), a.normalized_value(quick_xml::XmlVersion::Explicit1_0).expect("escaped value").into_owned())
        })
        .collect()
}

fn count_attr(a: &std::collections::BTreeMap<String, String>, key: &str, elem: &str) -> Result<usize, String> {
    a.get(key)
        .ok_or_else(|| format!("<{elem}> lacks {key}"))?
        .parse()
        .map_err(|_| format!("<{elem}> {key} is not a count"))
}

/// Check the structure the JUnit schema (Ant junit.xsd, as Jenkins reads it)
/// requires: testsuites > testsuite(name, tests, failures, errors, skipped) >
/// properties? testcase*(name, classname) > (failure(message) | skipped | system-out)*,
/// with every count equal to what the elements say. Returns the totals.
pub fn check_junit(xml: &str) -> Result<JunitCounts, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut total = JunitCounts::default();
    let mut declared_total = None;
    let mut suite = JunitCounts::default();
    let mut declared_suite = JunitCounts::default();
    let mut case_outcome: Option<&str> = None;
    loop {
        let event = reader.read_event().map_err(|e| format!("not well-formed XML: {e}"))?;
        let (start, empty) = match &event {
            Event::Start(e) => (Some(e.clone()), false),
            Event::Empty(e) => (Some(e.clone()), true),
            _ => (None, false),
        };
        if let Some(e) = start {
            let name = e.name().into_inner().to_string();
            let a = attrs(&e);
            let parent = stack.last().map(String::as_str);
            match (parent, name.as_str()) {
                (None, "testsuites") => {
                    declared_total = Some(JunitCounts {
                        tests: count_attr(&a, "tests", "testsuites")?,
                        failures: count_attr(&a, "failures", "testsuites")?,
                        skipped: count_attr(&a, "skipped", "testsuites")?,
                    });
                }
                (Some("testsuites"), "testsuite") => {
                    if !a.contains_key("name") {
                        return Err("<testsuite> lacks name".into());
                    }
                    count_attr(&a, "errors", "testsuite")?;
                    declared_suite = JunitCounts {
                        tests: count_attr(&a, "tests", "testsuite")?,
                        failures: count_attr(&a, "failures", "testsuite")?,
                        skipped: count_attr(&a, "skipped", "testsuite")?,
                    };
                    suite = JunitCounts::default();
                }
                (Some("testsuite"), "properties") => {}
                (Some("properties"), "property") => {
                    if !(a.contains_key("name") && a.contains_key("value")) {
                        return Err("<property> needs name and value".into());
                    }
                }
                (Some("testsuite"), "testcase") => {
                    if !(a.contains_key("name") && a.contains_key("classname")) {
                        return Err("<testcase> needs name and classname".into());
                    }
                    suite.tests += 1;
                    case_outcome = None;
                }
                (Some("testcase"), "failure" | "skipped") => {
                    if name == "failure" && !a.contains_key("message") {
                        return Err("<failure> lacks message".into());
                    }
                    if case_outcome.replace(if name == "failure" { "failure" } else { "skipped" }).is_some() {
                        return Err("a <testcase> has more than one failure/skipped".into());
                    }
                    if name == "failure" {
                        suite.failures += 1;
                    } else {
                        suite.skipped += 1;
                    }
                }
                (Some("testcase"), "system-out") => {}
                (p, n) => return Err(format!("<{n}> is not allowed inside {p:?}")),
            }
            if !empty {
                stack.push(name);
            } else if name == "testsuite" {
                return Err("an empty <testsuite/> is not expected here".into());
            }
        }
        match event {
            Event::End(e) => {
                let name = e.name().into_inner().to_string();
                if name == "testsuite" {
                    if suite != declared_suite {
                        return Err(format!("testsuite counts {declared_suite:?} but holds {suite:?}"));
                    }
                    total.tests += suite.tests;
                    total.failures += suite.failures;
                    total.skipped += suite.skipped;
                }
                stack.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    match declared_total {
        Some(d) if d == total => Ok(total),
        Some(d) => Err(format!("testsuites counts {d:?} but holds {total:?}")),
        None => Err("no <testsuites> root".into()),
    }
}

#[test]
fn junit_has_the_structure_and_counts_the_schema_requires() {
    // 7 rules x (2 sites + estate); fails: backup-missing@source, snapshot-stale@estate;
    // skipped: version-skew@source (waived) and disk-space (disabled) at each of the 3.
    let counts = check_junit(&rendered(Format::Junit, FailOn::Deny)).unwrap();
    assert_eq!(counts, JunitCounts { tests: 21, failures: 2, skipped: 4 });
    // Under --fail-on warn, kb90082 at source and waiver-expired at estate fail too.
    let counts = check_junit(&rendered(Format::Junit, FailOn::Warn)).unwrap();
    assert_eq!(counts, JunitCounts { tests: 21, failures: 4, skipped: 4 });
}

#[test]
fn the_junit_checker_rejects_broken_documents() {
    let good = rendered(Format::Junit, FailOn::Deny);
    for (what, bad) in [
        ("wrong count", good.replacen(r#"tests="21""#, r#"tests="20""#, 1)),
        ("no classname", good.replacen(r#" classname="source""#, "", 1)),
        ("failure without message", good.replacen("<failure message=", "<failure note=", 1)),
        ("unknown element", good.replacen("<system-out>", "<stdout>", 1).replacen("</system-out>", "</stdout>", 1)),
    ] {
        assert!(check_junit(&bad).is_err(), "the checker accepted a document with a {what}");
    }
}

// ---- the real binary ----

fn check_cmd(format: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("hcx-preflight")
        .unwrap()
        .current_dir(root())
        .env("NO_COLOR", "1")
        .args(["check", "--snapshot", "fixtures/snapshots/busy-estate.json", "--target", "4.11.0"])
        .args(["--now", "2026-11-29T09:05:00Z", "--format", format])
        .args(extra)
        .assert()
}

#[test]
fn every_format_goes_to_stdout_and_to_output_identically() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["table", "json", "junit", "sarif", "markdown"] {
        let out = check_cmd(format, &[]).code(1).get_output().stdout.clone();
        assert!(!out.is_empty(), "{format}: empty report");
        let file = dir.path().join(format!("report.{format}"));
        let assert = check_cmd(format, &["--output", file.to_str().unwrap()]).code(1);
        assert!(assert.get_output().stdout.is_empty(), "{format}: --output also wrote to stdout");
        assert_eq!(std::fs::read(&file).unwrap(), out, "{format}: file and stdout differ");
    }
}

/// The number of rule ids in the built-in catalog.
fn builtin_rule_count() -> usize {
    hcx_preflight::policy::PolicySet::builtin().expect("built-in policies").catalog().len()
}

#[test]
fn check_reports_on_a_fixture_validate() {
    let junit = check_cmd("junit", &[]).code(1).get_output().stdout.clone();
    let counts = check_junit(&String::from_utf8(junit).unwrap()).unwrap();
    // Every catalog rule x (source, cloud-east, estate); backup-missing and disk-space fail.
    let rules = builtin_rule_count();
    assert_eq!(counts, JunitCounts { tests: rules * 3, failures: 2, skipped: 0 });
    let sarif = check_cmd("sarif", &[]).code(1).get_output().stdout.clone();
    let doc: serde_json::Value = serde_json::from_slice(&sarif).unwrap();
    assert_eq!(schema_errors(&sarif_validator(), &doc), Vec::<String>::new());
    assert_eq!(schema_errors(&full_sarif_validator(), &doc), Vec::<String>::new());
    assert_eq!(doc["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap().len(), rules);
    assert_eq!(doc["runs"][0]["results"].as_array().unwrap().len(), 7);
}

#[test]
fn markdown_of_a_fixture_lists_every_rule() {
    let md = check_cmd("markdown", &[]).code(1).get_output().stdout.clone();
    let md = String::from_utf8(md).unwrap();
    let rules = &md[md.find("## Rules").expect("a rule table")..];
    let rows = rules.lines().filter(|l| l.starts_with("| `")).count();
    assert_eq!(rows, builtin_rule_count(), "{md}");
    assert!(md.contains("| `disk-space` | deny | deny | 1 |"), "{md}");
    assert!(md.contains("| `fact-missing` | deny | pass | 0 |"), "{md}");
}

