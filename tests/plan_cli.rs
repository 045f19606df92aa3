//! `hcx-preflight plan` run as a user would: whole Markdown output for a change request
//! (insta), the JSON route document's shape, exit codes (allow 0, a denied first step 1,
//! a downgrade or an unknown version 2), and `--policy-dir` changing the route.

use std::process::Output;

use assert_cmd::Command;

use crate::common::{fixture, root};

const NOW: &str = "2026-11-29T09:05:00Z";

fn plan(args: &[&str]) -> Output {
    let mut c = Command::cargo_bin("hcx-preflight").expect("binary");
    c.env("NO_COLOR", "1").current_dir(root()).arg("plan").args(["--now", NOW]).args(args);
    c.output().expect("run")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn plan_markdown_for_a_change_request() {
    let o = plan(&["--snapshot", "fixtures/snapshots/two-site-4.2.json", "--to", "4.10.3", "--format", "markdown"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let text = stdout(&o).replace(env!("CARGO_PKG_VERSION"), "[VERSION]");
    let sha = regex_free_redact(&text);
    insta::assert_snapshot!(sha);
}

/// Replace the 64-hex-digit digests (they change with every policy edit).
fn regex_free_redact(text: &str) -> String {
    text.lines()
        .map(|l| match l.find('`') {
            Some(i) if l.contains("SHA-256") => format!("{}`[SHA-256]`", &l[..i]),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn plan_json_is_the_route_document() {
    let o = plan(&["--snapshot", &fixture("two-site-4.2.json"), "--to", "4.10.3", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let d: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(d["route_format"], 1);
    assert_eq!(d["target_version"], "4.10.3");
    let hops = d["hops"].as_array().unwrap();
    assert_eq!(hops.iter().map(|h| h["to"].as_str().unwrap()).collect::<Vec<_>>(), ["4.4.2", "4.10.3"]);
    let phases: Vec<&str> = hops[0]["steps"].as_array().unwrap().iter().map(|s| s["phase"].as_str().unwrap()).collect();
    assert_eq!(phases, ["managers", "verify", "service-mesh", "verify-mesh"]);
    let first = &hops[0]["steps"][0]["gate"];
    assert_eq!(first["projected"], false);
    assert!(first["findings"].as_array().unwrap().iter().all(|f| f["projected"] == false && f["id"].is_string() && f["severity"].is_string()));
    assert_eq!(hops[1]["steps"][0]["gate"]["projected"], true);
    assert!(hops[1]["steps"][0]["gate"]["findings"].as_array().unwrap().iter().all(|f| f["projected"] == true));
    assert_eq!(hops[0]["steps"][0]["managers"][0]["method"], "ui");
    assert_eq!(hops[0]["path"]["verified"], false);
    // The same input gives the same document.
    let again = plan(&["--snapshot", &fixture("two-site-4.2.json"), "--to", "4.10.3", "--format", "json"]);
    assert_eq!(again.stdout, o.stdout);
}

#[test]
fn plan_exit_codes() {
    // The first step is denied (the estate's /common is over 90 %): 1, the route still shown.
    let o = plan(&["--snapshot", &fixture("busy-estate.json"), "--to", "4.11.0"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("decision: DENY (the first step"), "{}", stdout(&o));
    // A downgrade and an unknown version: 2, named.
    let o = plan(&["--snapshot", &fixture("two-site-healthy.json"), "--to", "4.9.0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("HCX does not downgrade"));
    let o = plan(&["--snapshot", &fixture("missing-facts.json"), "--to", "4.11.0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("the manager hcx-cloud.east.example (site cloud-east)"));
}

#[test]
fn an_organisation_path_table_changes_the_route() {
    let dir = tempfile::tempdir().unwrap();
    let params = dir.path().join("hcx/params");
    std::fs::create_dir_all(&params).unwrap();
    std::fs::write(
        params.join("data.json"),
        r#"{"upgrade_path_table": {"acme-via-4.10.3": {"from_below": "4.10.3", "to_at_least": "4.11.0", "via": "4.10.3", "note": "our standard goes through 4.10.3"}}}"#,
    )
    .unwrap();
    let base = plan(&["--snapshot", &fixture("two-site-healthy.json"), "--to", "4.11.0"]);
    assert!(stdout(&base).starts_with("route to 4.11.0: 4.10.2 -> 4.11.0 (1 hop)"), "{}", stdout(&base));
    let org = plan(&["--snapshot", &fixture("two-site-healthy.json"), "--to", "4.11.0", "--policy-dir", dir.path().to_str().unwrap()]);
    assert!(stdout(&org).starts_with("route to 4.11.0: 4.10.2 -> 4.10.3 -> 4.11.0 (2 hops)"), "{}", stdout(&org));
    assert!(stdout(&org).contains("our standard goes through 4.10.3"));
}
