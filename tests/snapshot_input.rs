//! The snapshot loader as a user meets it through the real binary: a missing file said once,
//! type errors with the field's path and position, unknown keys as warnings on stderr (the
//! decision unchanged), and `-` for standard input.

use std::process::Output;

use assert_cmd::Command;

use crate::common::root;

const NOW: &str = "2026-11-29T09:05:00Z";

fn fixture_text() -> String {
    std::fs::read_to_string(root().join("fixtures/snapshots/two-site-healthy.json")).expect("fixture")
}

fn run(args: &[&str], stdin: Option<String>) -> Output {
    let mut c = Command::cargo_bin("hcx-preflight").expect("binary");
    c.current_dir(root()).env("NO_COLOR", "1").args(args);
    if let Some(input) = stdin {
        c.write_stdin(input);
    }
    c.output().expect("run")
}

fn check_stdin(snapshot: String) -> Output {
    run(&["check", "--snapshot", "-", "--target", "4.11.0", "--now", NOW, "--format", "json"], Some(snapshot))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_missing_file_is_said_once_with_what_to_do() {
    let o = run(&["check", "--snapshot", "/nonexistent/snap.json", "--target", "4.11.0"], None);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: snapshot /nonexistent/snap.json does not exist: give the path of a snapshot file \
         (written by `hcx-preflight collect --out FILE`), or `-` to read it from standard input\n"
    );
    // Errors whose message already holds their cause do not repeat it (the CLI's chain).
    let o = run(
        &["check", "--snapshot", "fixtures/snapshots/two-site-healthy.json", "--target", "4.11.0", "--config", "/nonexistent/c.toml"],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).matches("os error 2").count(), 1, "{}", stderr(&o));
}

#[test]
fn a_type_error_names_the_field_path_and_position() {
    let text = fixture_text().replacen("\"disk_common_used_percent\": 41.5", "\"disk_common_used_percent\": \"93%\"", 1);
    assert_ne!(text, fixture_text(), "the fixture has the field");
    let o = check_stdin(text);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.starts_with("error: snapshot <stdin>:"), "{err}");
    assert!(
        err.ends_with(": sites[0].manager.disk_common_used_percent: invalid type: string \"93%\", expected a number\n"),
        "{err}"
    );
}

#[test]
fn an_array_for_the_whole_snapshot_is_said_in_json_words() {
    let o = check_stdin("[]".into());
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: snapshot <stdin>:1:1: invalid type: array, expected a JSON object \
         (an hcx-preflight snapshot: schema_version, collected_at, sites, ...)\n"
    );
}

#[test]
fn unknown_keys_are_warnings_and_the_decision_is_unchanged() {
    let clean = check_stdin(fixture_text());
    let typo = check_stdin(fixture_text().replacen("\"fqdn\"", "\"fqdnn\"", 1));
    assert_eq!(clean.status.code(), typo.status.code());
    assert!(stderr(&clean).is_empty(), "{}", stderr(&clean));
    assert_eq!(
        stderr(&typo),
        "warning: snapshot <stdin>: unknown key `sites[0].manager.fqdnn` ignored \
         (not in the snapshot format: a typo, or a newer collector?)\n"
    );
    // The decision is the same apart from the fact the typo hid and the digest of the bytes.
    let record = |o: &Output| serde_json::from_slice::<serde_json::Value>(&o.stdout).expect("json")["decision"].clone();
    assert_eq!(record(&clean), record(&typo));
}

#[test]
fn standard_input_is_read_for_dash_by_check_and_plan() {
    let from_file = run(
        &["check", "--snapshot", "fixtures/snapshots/two-site-healthy.json", "--target", "4.11.0", "--now", NOW, "--format", "json"],
        None,
    );
    let from_stdin = check_stdin(fixture_text());
    assert_eq!(from_file.status.code(), from_stdin.status.code());
    // Same bytes, same record (digests included); only the recorded path differs.
    let file_text = String::from_utf8_lossy(&from_file.stdout).replace("\"fixtures/snapshots/two-site-healthy.json\"", "\"-\"");
    assert_eq!(file_text, String::from_utf8_lossy(&from_stdin.stdout));
    assert!(file_text.contains(r#""path": "-""#), "the record names standard input as `-`");
    let plan = run(&["plan", "--snapshot", "-", "--to", "4.11.0", "--now", NOW], Some(fixture_text()));
    assert!(plan.status.code() != Some(2), "{}", stderr(&plan));
    assert!(String::from_utf8_lossy(&plan.stdout).contains("route to 4.11.0"));
}
