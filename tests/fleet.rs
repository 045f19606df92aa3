//! Fleet mode: the inventory command, a generated HTTPS fleet collected and judged by the
//! real binary (failures of some estates never hide the others; exit codes), the fleet
//! report formats checked for their structure, and the bound on requests per manager.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

use hcx_preflight::fleet::collect::{collect_fleet_blocking, FleetCollectOptions};
use hcx_preflight::fleet::Source;
use hcx_preflight::inventory::Inventory;
use hcx_sim::fleet::{EstateFault, FleetSpec, SimFleet};

use crate::common::root;

const NOW: &str = "2026-11-29T09:05:00Z";

fn bin(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("hcx-preflight").expect("binary");
    c.current_dir(dir).env("NO_COLOR", "1");
    for v in ["HCX_USERNAME", "HCX_PASSWORD", "HCX_ADMIN_PASSWORD"] {
        c.env_remove(v);
    }
    c.timeout(Duration::from_secs(120));
    c
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn inventory_check_lists_every_problem_with_its_line_and_accepts_a_good_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[estate]]\nname = \"a\"\ncredentials = { password = \"s3cret value\" }\n[[estate.site]]\nname = \"source\"\nurl = \"http://h\"\n\n[[estate]]\nname = \"a\"\n",
    )
    .unwrap();
    let o = bin(dir.path()).args(["inventory", "check"]).arg(&bad).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let text = out(&o);
    for expected in [
        "line 3: estate `a`: credentials.password must NAME an environment variable",
        "line 5: estate `a`, site `source`: URL `http://h` must start with https://",
        "line 9: estate `a` is listed twice",
        "estate `a` has no [[estate.site]]",
        "4 problems",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in\n{text}");
    }
    assert!(!text.contains("s3cret"), "{text}");

    let good = dir.path().join("good.toml");
    std::fs::write(
        &good,
        "[[estate]]\nname = \"b\"\ntags = { region = \"eu\" }\ncredentials = { password = \"B_PASSWORD\" }\n[[estate.site]]\nname = \"source\"\nurl = \"https://h.example\"\n",
    )
    .unwrap();
    let o = bin(dir.path()).args(["inventory", "check"]).arg(&good).env_remove("B_PASSWORD").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(out(&o).contains("b: sites source; tags region=eu; target from --target; phase from --phase"), "{}", out(&o));
    assert!(out(&o).contains("ok: 1 estates, 1 sites"));
    assert!(err(&o).contains("B_PASSWORD is not set"), "{}", err(&o));
    let o = bin(dir.path()).args(["inventory", "check", "missing.toml"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

fn summary(json: &Value) -> (u64, u64, u64) {
    let s = &json["fleet"]["summary"];
    (s["allow"].as_u64().unwrap(), s["deny"].as_u64().unwrap(), s["undecided"].as_u64().unwrap())
}

/// A generated fleet of 10 estates: 3 faulty (wrong password, expired certificate,
/// full disk), collected by `collect --inventory` and judged by `check --snapshot-dir`
/// and `check --inventory`.
#[test]
fn a_simulated_fleet_is_collected_and_judged_and_failures_hide_nothing() {
    let fleet = SimFleet::start(&FleetSpec {
        estates: 10,
        fault_share: 0.3,
        latency_ms: 0,
    })
    .unwrap();
    let faults: Vec<_> = fleet.estates.iter().filter_map(|e| e.fault).collect();
    assert_eq!(faults, [EstateFault::WrongPassword, EstateFault::ExpiredCertificate, EstateFault::DiskFull]);
    let dir = tempfile::tempdir().unwrap();
    let inventory = fleet.write(dir.path()).unwrap();
    let snaps = dir.path().join("snaps");
    let env = fleet.env();

    let o = bin(dir.path())
        .envs(&env)
        .args(["collect", "--inventory"])
        .arg(&inventory)
        .args(["--ca-cert", "ca.pem", "--out-dir"])
        .arg(&snaps)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "a failed estate makes collect exit 2: {}", err(&o));
    assert!(!err(&o).contains("in flight"), "no progress when stderr is not a terminal: {}", err(&o));
    assert!(err(&o).contains("wrote 8 snapshots"), "{}", err(&o));
    let mut files: Vec<String> = std::fs::read_dir(&snaps).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    files.sort();
    assert_eq!(files.len(), 9, "8 snapshots and the manifest, no temporary file: {files:?}");
    assert!(files.contains(&"fleet.json".to_string()));
    for secret in env.values() {
        for f in &files {
            assert!(!std::fs::read_to_string(snaps.join(f)).unwrap().contains(secret.as_str()), "{f} holds a secret");
        }
    }
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(snaps.join("fleet.json")).unwrap()).unwrap();
    let failed: Vec<(&str, &str)> = manifest["estates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["snapshot"].is_null())
        .map(|e| (e["name"].as_str().unwrap(), e["error"].as_str().unwrap()))
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(failed[0].1.contains("credentials rejected"), "{failed:?}");
    assert!(failed[1].1.contains("certificate has expired"), "{failed:?}");

    // Judge the directory: 7 allow, 1 deny (disk), 2 undecided -> exit 2.
    let o = bin(dir.path()).args(["check", "--snapshot-dir"]).arg(&snaps).args(["--target", "4.11.0", "--format", "json"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    let json: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(summary(&json), (7, 1, 2));
    let denied = json["estates"].as_array().unwrap().iter().find(|e| e["outcome"] == "deny").unwrap();
    assert_eq!(denied["decision"]["findings"][0]["id"], "disk-space");
    assert_eq!(denied["tags"]["customer"], "customer-4");
    assert!(err(&o).contains("not decided"), "{}", err(&o));

    // The tag filter and the exit codes: only allowed estates -> 0; with the full disk -> 1.
    let check_tag = |tag: &str| {
        let o = bin(dir.path()).args(["check", "--snapshot-dir"]).arg(&snaps).args(["--target", "4.11.0", "--format", "json", "--tag", tag]).output().unwrap();
        let json: Value = serde_json::from_str(&out(&o)).unwrap();
        (o.status.code(), summary(&json))
    };
    assert_eq!(check_tag("customer=customer-1"), (Some(0), (2, 0, 0)));
    assert_eq!(check_tag("customer=customer-4"), (Some(1), (1, 1, 0)));

    // A full run in one command: collect and judge; the same outcomes per estate.
    let o = bin(dir.path())
        .envs(&env)
        .args(["check", "--inventory"])
        .arg(&inventory)
        .args(["--ca-cert", "ca.pem", "--target", "4.11.0", "--format", "json", "--jobs", "3"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    let again: Value = serde_json::from_str(&out(&o)).unwrap();
    let outcomes = |j: &Value| j["estates"].as_array().unwrap().iter().map(|e| (e["name"].clone(), e["outcome"].clone())).collect::<Vec<_>>();
    assert_eq!(outcomes(&again), outcomes(&json));

    // The fleet's decision record of an estate is `check --snapshot`'s, byte for byte.
    let o = bin(dir.path()).args(["check", "--snapshot-dir"]).arg(&snaps).args(["--target", "4.11.0", "--format", "json", "--now", NOW]).output().unwrap();
    let fleet_json: Value = serde_json::from_str(&out(&o)).unwrap();
    let single = bin(dir.path()).args(["check", "--snapshot"]).arg(snaps.join("estate-009.json")).args(["--target", "4.11.0", "--format", "json", "--now", NOW]).output().unwrap();
    let single: Value = serde_json::from_str(&out(&single)).unwrap();
    let in_fleet = fleet_json["estates"].as_array().unwrap().iter().find(|e| e["name"] == "estate-009").unwrap();
    assert_eq!(in_fleet["decision"], single);
}

/// A snapshot directory made by hand: two fixtures, a broken file and a manifest that
/// records one collection failure, with tags.
fn fixture_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, fixture) in [("alpha", "two-site-healthy.json"), ("beta", "site-pair-unhealthy.json")] {
        std::fs::copy(root().join("fixtures/snapshots").join(fixture), dir.path().join(format!("{name}.json"))).unwrap();
    }
    std::fs::write(dir.path().join("gamma.json"), "{ not json").unwrap();
    let manifest = serde_json::json!({
        "schema_version": 1, "inventory": "inventory.toml", "collected_at": NOW,
        "estates": [
            {"name": "alpha", "tags": {"region": "eu-west", "customer": "acme"}, "snapshot": "alpha.json"},
            {"name": "beta", "tags": {"region": "us-east", "customer": "acme"}, "snapshot": "beta.json"},
            {"name": "gamma", "tags": {"region": "us-east", "customer": "zeta"}, "snapshot": "gamma.json"},
            {"name": "delta", "tags": {"region": "eu-west", "customer": "zeta"}, "snapshot": null, "error": "site source: cannot reach the HCX Manager"}
        ]
    });
    std::fs::write(dir.path().join("fleet.json"), manifest.to_string()).unwrap();
    dir
}

fn render(dir: &Path, format: &str, extra: &[&str]) -> (Option<i32>, String) {
    let o = bin(dir).args(["check", "--snapshot-dir", "."]).args(["--target", "4.11.0", "--now", NOW, "--format", format]).args(extra).output().unwrap();
    (o.status.code(), out(&o))
}

/// `check --snapshot-dir` says which keys of a snapshot it ignored, as `check --snapshot`
/// does, for each snapshot that has one; the estate is judged all the same.
#[test]
fn fleet_snapshot_dir_shows_the_unknown_keys_of_each_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("fixtures/snapshots/two-site-healthy.json")).unwrap();
    std::fs::write(dir.path().join("alpha.json"), &text).unwrap();
    std::fs::write(dir.path().join("beta.json"), text.replacen("\"fqdn\"", "\"fqdnn\"", 1)).unwrap();
    let o = bin(dir.path()).args(["check", "--snapshot-dir", ".", "--target", "4.11.0", "--now", NOW, "--format", "json"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(
        err(&o),
        format!(
            "warning: snapshot {}: unknown key `sites[0].manager.fqdnn` ignored (not in the snapshot format: a typo, or a newer collector?)\n",
            Path::new(".").join("beta.json").display()
        )
    );
    let fleet: Value = serde_json::from_str(&out(&o)).unwrap();
    let outcomes: Vec<&Value> = fleet["estates"].as_array().unwrap().iter().map(|e| &e["outcome"]).collect();
    assert_eq!(outcomes, ["allow", "allow"]);
}

#[test]
fn fleet_junit_has_one_suite_per_estate_and_errors_for_undecided_ones() {
    let dir = fixture_dir();
    let (code, xml) = render(dir.path(), "junit", &[]);
    assert_eq!(code, Some(2));
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut suites = Vec::new();
    let mut classnames = std::collections::BTreeSet::new();
    let mut errors = 0;
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                let a = super::reports::attrs(&e);
                let attr = |name: &str| a.get(name).cloned();
                match e.name().into_inner() {
                    "testsuite" => suites.push((attr("name").unwrap(), attr("errors").unwrap(), attr("failures").unwrap())),
                    "testcase" => {
                        classnames.insert(attr("classname").unwrap());
                    }
                    "error" => errors += 1,
                    _ => {}
                }
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    let names: Vec<&str> = suites.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(names, ["alpha", "beta", "gamma", "delta"]);
    assert_eq!((suites[0].1.as_str(), suites[0].2.as_str()), ("0", "0"));
    assert_ne!(suites[1].2, "0", "beta's denial is a failure");
    assert_eq!((suites[2].1.as_str(), suites[3].1.as_str()), ("1", "1"));
    assert_eq!(errors, 2);
    assert!(classnames.contains("alpha.source") && classnames.contains("beta.cloud-east"), "{classnames:?}");
    assert!(xml.contains(r#"<property name="tag.region" value="eu-west"/>"#));
}

#[test]
fn fleet_sarif_has_one_run_per_estate_and_validates() {
    let dir = fixture_dir();
    let (_, text) = render(dir.path(), "sarif", &[]);
    let doc: Value = serde_json::from_str(&text).unwrap();
    for v in [super::reports::sarif_validator(), super::reports::full_sarif_validator()] {
        assert_eq!(super::reports::schema_errors(&v, &doc), Vec::<String>::new());
    }
    let runs = doc["runs"].as_array().unwrap();
    let ids: Vec<&str> = runs.iter().map(|r| r["automationDetails"]["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["hcx-preflight/alpha/", "hcx-preflight/beta/", "hcx-preflight/gamma/", "hcx-preflight/delta/"]);
    assert!(runs[0]["results"].as_array().unwrap().iter().all(|r| r["level"] != "error"));
    assert!(runs[1]["results"].as_array().unwrap().iter().any(|r| r["ruleId"] == "site-pair-unhealthy"));
    assert_eq!(runs[3]["invocations"][0]["executionSuccessful"], false);
    assert_eq!(runs[1]["properties"]["estate_tags"]["region"], "us-east");
    assert_eq!(runs[1]["properties"]["tags"][1], "region=us-east");
}

#[test]
fn fleet_markdown_and_table_name_every_estate_blocker_and_error() {
    let dir = fixture_dir();
    let (_, md) = render(dir.path(), "markdown", &[]);
    let blocked = &md[md.find("## Blocked estates").expect("blocked section")..md.find("## Each estate").expect("each estate")];
    assert!(blocked.contains("### beta (deny)") && blocked.contains("`site-pair-unhealthy` (deny) at **cloud-east**"), "{blocked}");
    assert!(blocked.contains("### gamma (undecided)") && blocked.contains("read failed"), "{blocked}");
    assert!(blocked.contains("### delta (undecided)") && blocked.contains("collect failed: site source: cannot reach"), "{blocked}");
    assert!(!blocked.contains("### alpha"), "{blocked}");
    assert!(md.contains("| Blocked (deny) | 1 |") && md.contains("| Not decided | 2 |"));
    assert!(md.contains("#### Rules") && md.contains("### Estate alpha"), "each estate's report nested under its heading");
    let (code, table) = render(dir.path(), "table", &["--tag", "customer=acme"]);
    assert_eq!(code, Some(1));
    assert!(table.contains("site-pair-unhealthy (cloud-east)") && table.contains("=== estate alpha (allow) ==="), "{table}");
    assert!(table.contains("fleet: 2 estates: 1 allow, 1 deny, 0 undecided"), "{table}");
}

#[test]
fn fleet_html_is_self_contained_well_formed_and_shows_the_matrix() {
    let dir = fixture_dir();
    std::fs::write(
        dir.path().join("org.toml"),
        "[[waivers]]\nid = \"site-pair-unhealthy\"\nreason = \"pair re-created tonight\"\napproved_by = \"cab\"\nexpires = \"2027-01-01T00:00:00Z\"\n",
    )
    .unwrap();
    let (code, html) = render(dir.path(), "html", &["--config", "org.toml"]);
    assert_eq!(code, Some(2));
    assert!(html.starts_with("<!DOCTYPE html>"));
    // Self-contained: no stylesheet, script, image or font from elsewhere.
    for needle in ["<link", " src=", "@import", "url("] {
        assert!(!html.contains(needle), "external asset `{needle}`");
    }
    // Well-formed (after the doctype), and the structure: one matrix row per estate,
    // one cell per rule, one section per estate.
    let body = &html[html.find("<html").unwrap()..];
    let mut reader = quick_xml::Reader::from_str(body);
    let (mut in_matrix, mut rows, mut cells, mut sections, mut rule_headers) = (false, 0, Vec::new(), Vec::new(), 0);
    loop {
        match reader.read_event().expect("well-formed markup") {
            quick_xml::events::Event::Start(e) => {
                let a = super::reports::attrs(&e);
                let class = a.get("class").cloned().unwrap_or_default();
                match e.name().into_inner() {
                    "table" if class == "matrix" => in_matrix = true,
                    "tr" if in_matrix && a.contains_key("data-estate") => rows += 1,
                    "th" if in_matrix && class == "rule" => rule_headers += 1,
                    "td" if in_matrix => cells.push(class),
                    "section" => sections.push(a["id"].clone()),
                    _ => {}
                }
            }
            quick_xml::events::Event::End(e) if e.name().into_inner() == "table" => in_matrix = false,
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(rows, 4);
    assert!(rule_headers > 10);
    assert_eq!(cells.len(), 4 * rule_headers);
    assert_eq!(sections, ["estate-alpha", "estate-beta", "estate-gamma", "estate-delta"]);
    let count = |c: &str| cells.iter().filter(|x| x.ends_with(c)).count();
    assert_eq!(count("o-unknown"), 2 * rule_headers, "undecided estates are unknown in every column");
    assert_eq!(count("o-waived"), 1, "beta's waived site-pair-unhealthy");
    assert!(count("o-pass") > 0 && count("o-info") > 0);
    // Readable without JavaScript: the filter is hidden until the script shows it; the
    // estates, decisions and errors are in the text.
    assert!(html.contains(r#"<form id="filters" hidden="hidden">"#));
    assert!(html.contains(r#"data-tags="{&quot;customer&quot;:&quot;acme&quot;,&quot;region&quot;:&quot;eu-west&quot;}""#));
    for text in ["ALLOW", "UNDECIDED", "collect failed: site source: cannot reach the HCX Manager", "pair re-created tonight"] {
        assert!(html.contains(text), "missing {text}");
    }
}

/// With one request in flight per manager and 40 ms per request, a manager's requests
/// run one after another: the collection takes at least their number x 40 ms.
#[test]
fn requests_per_manager_are_bounded() {
    let fleet = SimFleet::start(&FleetSpec {
        estates: 1,
        fault_share: 0.0,
        latency_ms: 40,
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let inventory = Inventory::load(&fleet.write(dir.path()).unwrap()).unwrap();
    let mut base = hcx_preflight::collect::CollectOptions::new(Vec::new());
    base.ca_cert = vec![dir.path().join("ca.pem")];
    base.max_requests_per_manager = Some(1);
    let opts = FleetCollectOptions {
        base,
        jobs: 1,
        out_dir: None,
        progress: false,
        inventory: PathBuf::from("inventory.toml"),
    };
    let env: BTreeMap<String, String> = fleet.env();
    let started = Instant::now();
    let inputs = collect_fleet_blocking(&inventory.estates.iter().collect::<Vec<_>>(), &opts, &env).unwrap();
    let wall = started.elapsed();
    assert!(matches!(inputs[0].source, Source::Collected(..)), "{:?}", inputs[0].source);
    let busiest: u64 = fleet.sim.sites().iter().map(|s| s.counts().values().sum::<u64>()).max().unwrap();
    assert!(busiest > 5);
    assert!(
        wall >= Duration::from_millis(40 * busiest),
        "{busiest} requests to one manager at 40 ms each in {wall:?}: they were not serialised"
    );
}
