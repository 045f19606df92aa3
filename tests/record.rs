//! The approval record (issue #11, "what the decision rests on"): `rests_on` in the JSON
//! decision record, and the Markdown report as a one-page record for a change board,
//! rendered to HTML as GitLab/GitHub do (GFM tables) and checked for its structure.

use std::path::PathBuf;
use std::process::Output;

use assert_cmd::Command;
use quick_xml::events::Event;

const NOW: &str = "2026-11-29T09:05:00Z";
const BUSY: &str = "fixtures/snapshots/busy-estate.json";
const CONFIG: &str = "fixtures/config/approval.toml";
/// A third operator statement for the ALLOW (its evidence holds a `|`, which must not break a table).
const NSX_ATTESTED: &str = "source.connections.nsx.status=healthy;by=n.ops;evidence=NSX manager UI | ticket CHG-7;at=2026-11-29T08:30:00Z";
/// An attestation older than the allowed 24 hours: lapsed, so the rules ignore it.
const NSX_LAPSED: &str = "source.connections.nsx.status=healthy;by=n.ops;evidence=NSX manager UI;at=2026-11-27T08:00:00Z";

fn run(extra: &[&str]) -> Output {
    run_for("4.11.0", extra)
}

fn run_for(target: &str, extra: &[&str]) -> Output {
    Command::cargo_bin("hcx-preflight")
        .expect("binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .args(["check", "--target", target, "--now", NOW])
        .args(extra)
        .output()
        .expect("run")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8")
}

/// The denied record: the same config, but the NSX attestation has lapsed, so the
/// connection's health is unknown and denies.
fn denied(format: &str) -> Output {
    run(&["--snapshot", BUSY, "--format", format, "--config", CONFIG, "--attest", NSX_LAPSED])
}

/// The allowed record: the config raises the backup age to 96 h and makes disk-space a
/// warning; it rests on three attestations (two backups in the snapshot, one NSX status).
fn allowed(format: &str) -> Output {
    run(&["--snapshot", BUSY, "--format", format, "--config", CONFIG, "--attest", NSX_ATTESTED])
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).expect("json")
}

/// The policy digests change with every policy edit; the determinism tests check them.
fn redact_digests(text: &str, d: &serde_json::Value) -> String {
    let mut text = text.to_string();
    for (pointer, name) in [("/policy_sha256", "[POLICY_SHA256]"), ("/rests_on/policies/builtin_sha256", "[BUILTIN_SHA256]")] {
        let digest = d.pointer(pointer).and_then(|v| v.as_str()).expect("digest");
        assert_eq!(digest.len(), 64);
        text = text.replace(digest, name);
    }
    text
}

#[test]
fn a_config_that_turns_backup_missing_into_pass_shows_in_rests_on_and_the_record() {
    let deny = json(&run(&["--snapshot", BUSY, "--format", "json"]));
    assert!(deny["findings"].as_array().unwrap().iter().any(|f| f["id"] == "backup-missing"));
    assert_eq!(deny["rests_on"]["thresholds"]["backup_max_age_hours"], serde_json::json!({"value": 24, "default": 24, "changed": false}));
    assert_eq!(deny["rests_on"]["config"], serde_json::Value::Null);

    let o = run(&["--snapshot", BUSY, "--format", "json", "--config", CONFIG]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let allow = json(&o);
    assert!(!allow["findings"].as_array().unwrap().iter().any(|f| f["id"] == "backup-missing"));
    let r = &allow["rests_on"];
    assert_eq!(r["thresholds"]["backup_max_age_hours"], serde_json::json!({"value": 96, "default": 24, "changed": true}));
    assert_eq!(r["thresholds"]["disk_common_max_percent"]["changed"], false);
    assert_eq!(r["config"]["path"], CONFIG);
    let text = std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(CONFIG)).unwrap();
    assert_eq!(r["config"]["sha256"], hcx_preflight::policy::sha256_hex(&text));
    assert_eq!(r["severity_overrides"], serde_json::json!([{"rule": "disk-space", "from": "deny", "to": "warn"}]));
    assert_eq!(r["disabled_rules"], serde_json::json!(["osam-redeploy"]));
    // The finding the override changed carries the catalog's severity.
    let disk = allow["findings"].as_array().unwrap().iter().find(|f| f["id"] == "disk-space").expect("disk-space");
    assert_eq!((&disk["severity"], &disk["default_severity"]), (&serde_json::json!("warn"), &serde_json::json!("deny")));
    assert!(allow["findings"].as_array().unwrap().iter().filter(|f| f["id"] != "disk-space").all(|f| f.get("default_severity").is_none()));

    let md = stdout(&run(&["--snapshot", BUSY, "--format", "markdown", "--config", CONFIG]));
    let assumed = section(&md, "## What was assumed");
    assert!(assumed.contains("| `backup_max_age_hours` | 96 | 24 |"), "{assumed}");
    assert!(assumed.contains("| `disk-space` | deny | warn | 1 |"), "{assumed}");
    assert!(assumed.contains("Disabled rules: `osam-redeploy`."), "{assumed}");
    assert!(md.contains("(severity warn by the config; default deny)"), "{md}");
    assert!(md.contains("| `disk-space` | warn (default deny) | warn | 1 |"), "{md}");
}

/// The text of the Markdown section that starts with `heading`, up to the next `## `.
fn section<'a>(md: &'a str, heading: &str) -> &'a str {
    let start = md.find(heading).unwrap_or_else(|| panic!("no {heading} in\n{md}"));
    let rest = &md[start + heading.len()..];
    &rest[..rest.find("\n## ").unwrap_or(rest.len())]
}

#[test]
fn an_allow_resting_on_three_attestations_lists_them() {
    let o = allowed("json");
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let d = json(&o);
    let list = d["rests_on"]["attestations"].as_array().expect("attestations");
    let facts: Vec<(&str, &str, &str)> = list
        .iter()
        .map(|a| (a["fact"].as_str().unwrap(), a["status"].as_str().unwrap(), a["attested_by"].as_str().unwrap()))
        .collect();
    assert_eq!(
        facts,
        vec![
            ("cloud-east.backup", "used", "a.admin"),
            ("source.backup", "used", "a.admin"),
            ("source.connections.nsx.status", "used", "n.ops"),
        ]
    );
    let nsx = &list[2];
    assert_eq!(nsx["evidence"], "NSX manager UI | ticket CHG-7");
    assert_eq!(nsx["attested_at"], "2026-11-29T08:30:00Z");
    assert_eq!(nsx["on_version"], "4.10.2");
    // Each pointer resolves in the snapshot as judged to the attested fact.
    let snapshot: serde_json::Value = serde_json::from_slice(&std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(BUSY)).unwrap()).unwrap();
    assert_eq!(snapshot.pointer(list[0]["pointer"].as_str().unwrap()).unwrap()["last_success_at"], list[0]["value"]);
    assert_eq!(nsx["pointer"], "/sites/0/connections/1");

    let md = stdout(&allowed("markdown"));
    let assumed = section(&md, "## What was assumed");
    assert!(assumed.contains("3 facts stated by operators: 3 used, 0 lapsed."), "{assumed}");
    for fact in ["`cloud-east.backup`", "`source.backup`", "`source.connections.nsx.status`"] {
        assert!(assumed.contains(&format!("| {fact} |")), "{fact} missing in\n{assumed}");
    }
}

#[test]
fn a_lapsed_attestation_is_listed_as_ignored() {
    let d = json(&denied("json"));
    let nsx = d["rests_on"]["attestations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["fact"] == "source.connections.nsx.status")
        .expect("the NSX attestation")
        .clone();
    assert_eq!(nsx["status"], "lapsed");
    assert!(nsx["lapsed_because"].as_str().unwrap().contains("more than the allowed 24 hours"), "{nsx}");
    let unknown = &d["rests_on"]["unknown_facts"];
    assert_eq!(unknown.as_array().unwrap().len(), 1, "{unknown}");
    assert_eq!(unknown[0]["fact"], "source.connections.nsx.status");
    assert!(unknown[0]["message"].as_str().unwrap().starts_with("its attestation lapsed: it was made at 2026-11-27T08:00:00Z"), "{unknown}");
}

#[test]
fn rests_on_names_the_snapshot_sites_tool_and_unknown_facts() {
    let d = json(&run(&["--snapshot", "fixtures/snapshots/one-site-peer-unknown.json", "--format", "json"]));
    let r = &d["rests_on"];
    assert_eq!(r["snapshot"]["path"], "fixtures/snapshots/one-site-peer-unknown.json");
    assert_eq!(r["snapshot"]["sha256"], d["snapshot_sha256"]);
    assert_eq!(r["policies"]["sha256"], d["policy_sha256"]);
    let collected = chrono::DateTime::parse_from_rfc3339(r["snapshot"]["collected_at"].as_str().unwrap()).unwrap();
    let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap();
    assert_eq!(r["snapshot"]["age_seconds"], (now - collected).num_seconds());
    assert_eq!(r["tool"]["regorus_version"], hcx_preflight::REGORUS_VERSION);
    assert!(hcx_preflight::REGORUS_VERSION.split('.').count() == 3, "{}", hcx_preflight::REGORUS_VERSION);
    let sites = r["sites"].as_array().unwrap();
    assert!(sites.iter().all(|s| s["target_version"] == "4.11.0"));
    let peers: Vec<&serde_json::Value> = sites.iter().filter(|s| s.get("seen_through").is_some()).collect();
    assert!(!peers.is_empty(), "the peer seen only through a site pair is listed: {sites:?}");
    assert!(peers.iter().all(|p| p["role"].is_null()));

    let d = json(&run(&["--snapshot", "fixtures/snapshots/missing-facts.json", "--format", "json"]));
    let unknown: Vec<&str> = d["rests_on"]["unknown_facts"].as_array().unwrap().iter().map(|u| u["fact"].as_str().unwrap()).collect();
    assert!(unknown.contains(&"source.manager.disk_common_used_percent"), "{unknown:?}");
    assert!(unknown.contains(&"cloud-east.manager.version"), "{unknown:?}");
    assert!(unknown.iter().all(|f| !f.contains('[')), "one dotted spelling: {unknown:?}");
}

#[test]
fn a_snapshot_read_from_stdin_is_recorded_as_dash() {
    let text = std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(BUSY)).unwrap();
    let o = Command::cargo_bin("hcx-preflight")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["check", "--snapshot", "-", "--target", "4.11.0", "--now", NOW, "--format", "json"])
        .write_stdin(text.clone())
        .output()
        .unwrap();
    let d = json(&o);
    assert_eq!(d["rests_on"]["snapshot"]["path"], "-");
    assert_eq!(d["rests_on"]["snapshot"]["sha256"], hcx_preflight::policy::sha256_hex(&text));
}

#[test]
fn the_record_is_byte_identical_across_runs() {
    for format in ["json", "markdown"] {
        assert_eq!(allowed(format).stdout, allowed(format).stdout, "{format}");
    }
}

#[test]
fn records_written_before_rests_on_stay_readable() {
    let mut d = json(&denied("json"));
    d.as_object_mut().unwrap().remove("rests_on");
    let old: hcx_preflight::findings::Decision = serde_json::from_value(d).expect("an older record reads");
    assert!(old.rests_on.is_none());
}

#[test]
fn markdown_record_of_a_denial() {
    let o = denied("markdown");
    assert_eq!(o.status.code(), Some(1));
    let d = json(&denied("json"));
    insta::assert_snapshot!(redact_digests(&stdout(&o), &d));
}

#[test]
fn markdown_record_of_an_allow() {
    let o = allowed("markdown");
    assert_eq!(o.status.code(), Some(0));
    let d = json(&allowed("json"));
    insta::assert_snapshot!(redact_digests(&stdout(&o), &d));
}

// ---- the record as HTML ----

/// What an HTML page shows of its structure.
#[derive(Debug, Default)]
struct Page {
    /// (level, text) of every heading, in order.
    headings: Vec<(u8, String)>,
    tables: Vec<Table>,
    links: Vec<String>,
}

#[derive(Debug, Default)]
struct Table {
    header: Vec<String>,
    /// The number of cells of each body row.
    rows: Vec<usize>,
    /// The text of each body row's first cell.
    first_cells: Vec<String>,
}

/// Render Markdown to HTML with GFM tables (as GitLab, GitHub and wiki tools do), and
/// read the structure back from the HTML.
fn html_structure(markdown: &str) -> (String, Page) {
    use pulldown_cmark::{html, Options, Parser};
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut out = String::new();
    html::push_html(&mut out, Parser::new_ext(markdown, options));
    let page = read_html(&format!("<root>{out}</root>"));
    (out, page)
}

fn read_html(xml: &str) -> Page {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut page = Page::default();
    let mut text = String::new();
    let mut heading: Option<u8> = None;
    let (mut in_head, mut in_body, mut cell, mut cells) = (false, false, false, 0usize);
    loop {
        match reader.read_event().expect("well-formed HTML") {
            Event::Start(e) => match e.name().into_inner() {
                "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                    heading = Some(e.name().into_inner().as_bytes()[1] - b'0');
                    text.clear();
                }
                "table" => page.tables.push(Table::default()),
                "thead" => in_head = true,
                "tbody" => in_body = true,
                "tr" => cells = 0,
                "th" | "td" => {
                    cell = true;
                    text.clear();
                }
                "a" => page.links.push(super::reports::attrs(&e).get("href").cloned().expect("a link has an href")),
                _ => {}
            },
            Event::End(e) => match e.name().into_inner() {
                "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => page.headings.push((heading.take().unwrap(), text.trim().to_string())),
                "thead" => in_head = false,
                "tbody" => in_body = false,
                "th" | "td" => {
                    cell = false;
                    cells += 1;
                    let table = page.tables.last_mut().unwrap();
                    if in_head {
                        table.header.push(text.trim().to_string());
                    } else if in_body && cells == 1 {
                        table.first_cells.push(text.trim().to_string());
                    }
                }
                "tr" if in_body => page.tables.last_mut().unwrap().rows.push(cells),
                _ => {}
            },
            Event::Text(t) if heading.is_some() || cell => text.push_str(&t.xml_content(quick_xml::XmlVersion::Explicit1_0)),
            Event::GeneralRef(r) if heading.is_some() || cell => text.push_str(&format!("&{};", r.into_inner())),
            Event::Eof => break,
            _ => {}
        }
    }
    page
}

/// The `###` headings under the `##` heading `parent`, in order.
fn subheadings<'a>(page: &'a Page, parent: &str) -> Vec<&'a str> {
    let mut under = page.headings.iter().skip_while(|(_, t)| t != parent).skip(1);
    std::iter::from_fn(|| under.next().filter(|(l, _)| *l > 2)).filter(|(l, _)| *l == 3).map(|(_, t)| t.as_str()).collect()
}

fn table_with<'a>(page: &'a Page, first_header: &str) -> &'a Table {
    page.tables
        .iter()
        .find(|t| t.header.first().map(String::as_str) == Some(first_header))
        .unwrap_or_else(|| panic!("no table headed `{first_header}` in {page:#?}"))
}

/// Structure every record has: headings in the order a board reads, every table row as
/// wide as its header (no `|` in the text splits a cell), links absolute https.
fn assert_record_structure(markdown: &str) -> Page {
    let (html, page) = html_structure(markdown);
    let h2: Vec<&str> = page.headings.iter().filter(|(l, _)| *l == 2).map(|(_, t)| t.as_str()).collect();
    assert_eq!(
        h2,
        ["Sites", "What blocks", "What was assumed", "Unknown facts", "Advisories", "Rules", "Policy sources"],
        "{html}"
    );
    assert_eq!(page.headings.first(), Some(&(1, "HCX upgrade approval record".to_string())));
    assert_eq!(subheadings(&page, "What was assumed"), ["Attestations", "Waivers", "Config"]);
    for t in &page.tables {
        assert!(t.rows.iter().all(|&n| n == t.header.len()), "a row is wider or narrower than its header {:?}: {t:?}", t.header);
    }
    assert!(page.links.iter().all(|l| l.starts_with("https://")), "{:?}", page.links);
    let rules = table_with(&page, "Rule");
    assert_eq!(rules.header, ["Rule", "Severity", "Outcome", "Findings"]);
    let builtin = hcx_preflight::policy::PolicySet::builtin().expect("built-in policies").catalog().len();
    assert_eq!(rules.rows.len(), builtin);
    assert_eq!(table_with(&page, "Site").header, ["Site", "Role", "Current version", "Target version"]);
    page
}

#[test]
fn the_record_renders_to_html_with_its_structure() {
    let deny = assert_record_structure(&stdout(&denied("markdown")));
    assert_eq!(subheadings(&deny, "What blocks"), ["Deny (1)"]);
    assert_eq!(table_with(&deny, "Site").rows.len(), 2);

    let allow = assert_record_structure(&stdout(&allowed("markdown")));
    let attestations = table_with(&allow, "Fact");
    assert_eq!(attestations.header, ["Fact", "Value", "Attested by", "Attested at", "Evidence", "Status"]);
    assert_eq!(attestations.first_cells, ["cloud-east.backup", "source.backup", "source.connections.nsx.status"]);
    assert_eq!(table_with(&allow, "Threshold changed").rows.len(), 1);
    assert_eq!(table_with(&allow, "Severity override").rows.len(), 1);

    // KB links: a boundary crossing with a .local name.
    let kb = assert_record_structure(&stdout(&run_for("4.4.0", &["--snapshot", "fixtures/snapshots/local-fqdn-4.3.json", "--format", "markdown"])));
    assert!(kb.links.iter().any(|l| l.starts_with("https://knowledge.broadcom.com/")), "{:?}", kb.links);
}
