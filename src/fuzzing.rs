//! Entry points shared by the fuzz targets (`fuzz/`) and their regression tests
//! (`tests/fuzz_regressions.rs`), so that a crashing input found by the fuzzer is
//! replayed by the normal test suite through exactly the same code.
//! Each function must never panic, whatever the bytes.

use std::path::Path;
use std::sync::OnceLock;

use crate::check::{judge, LoadedSnapshot};
use crate::plan::{parse_time, FailOn, Phase, Plan};
use crate::policy::PolicySet;
use crate::snapshot::Snapshot;
use crate::version::HcxVersion;

thread_local! {
    static POLICIES: OnceLock<PolicySet> = const { OnceLock::new() };
}

/// Load bytes as a snapshot; judge what loads.
pub fn snapshot(data: &[u8]) {
    let Ok(snapshot) = Snapshot::from_slice(data, Path::new("fuzz.json")) else {
        return;
    };
    let plan = Plan {
        target_version: HcxVersion::parse("4.4.0").expect("valid"),
        phase: Phase::Managers,
        evaluated_at: parse_time("2026-11-29T09:05:00Z").expect("valid"),
        fail_on: FailOn::Deny,
    };
    POLICIES.with(|cell| {
        let set = cell.get_or_init(|| PolicySet::builtin().expect("built-in policies compile"));
        let _ = judge(&LoadedSnapshot::from_snapshot(snapshot), &plan, set);
    });
}

/// Parse and validate bytes as an organisation config.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(file) = crate::config::ConfigFile::parse(Path::new("fuzz.toml"), text.to_string()) else {
        return;
    };
    let ids = ["backup-missing", "version-skew"].iter().map(|s| s.to_string()).collect();
    let thresholds = [("backup_max_age_hours".to_string(), serde_json::json!(24))].into_iter().collect();
    let _ = file.validate(&ids, &thresholds);
}

/// Parse bytes as a version; what parses must print as given and order consistently.
pub fn version(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut halves = text.splitn(2, ' ');
    let a = halves.next().and_then(|s| HcxVersion::parse(s).ok());
    let b = halves.next().and_then(|s| HcxVersion::parse(s).ok());
    if let Some(a) = &a {
        assert_eq!(a.to_string(), text.split(' ').next().unwrap_or(""));
        assert_eq!(HcxVersion::parse(&a.to_string()).as_ref(), Ok(a));
    }
    if let (Some(a), Some(b)) = (a, b) {
        assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
        assert_eq!(a == b, a.cmp(&b).is_eq());
    }
}

/// Bytes as attestations: the `--attest` syntax (first line) and a JSON or TOML file.
pub fn attestations(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let first = text.lines().next().unwrap_or("");
    let _ = crate::collect::attest::parse_cli(first);
    for is_json in [true, false] {
        if let Ok(list) = crate::collect::attest::parse_text(text, is_json, "fuzz") {
            // Applying what parses to a snapshot must not panic either.
            let mut snapshot = Snapshot::from_slice(SEED_SNAPSHOT.as_bytes(), Path::new("seed.json")).expect("seed snapshot");
            let _ = crate::collect::attest::apply(&mut snapshot, &list, chrono::Utc::now());
        }
    }
}

// The oracles below restate, independently of the collector's code, which documented
// shapes may say `healthy` / `up`: anything they do not recognise must not.

fn healthy_word(w: Option<&serde_json::Value>) -> bool {
    w.and_then(|w| w.as_str())
        .is_some_and(|w| crate::collect::map_status(w) == crate::snapshot::Status::Healthy)
}

/// A mesh `status` word, or `{services: [...]}` with at least one service, each healthy.
fn mesh_says_healthy(item: &serde_json::Value) -> bool {
    match item.get("status") {
        Some(w @ serde_json::Value::String(_)) => healthy_word(Some(w)),
        Some(o) => o
            .get("services")
            .and_then(|s| s.as_array())
            .is_some_and(|list| !list.is_empty() && list.iter().all(|s| healthy_word(s.get("status")))),
        None => false,
    }
}

/// Every documented appliance status present is healthy, and there is at least one.
fn appliance_says_healthy(item: &serde_json::Value) -> bool {
    let words: Vec<_> = [item.pointer("/status/summary/overallStatus"), item.pointer("/applianceStatus/state")]
        .into_iter()
        .flatten()
        .filter(|w| w.as_str().is_some_and(|s| !s.trim().is_empty()))
        .collect();
    !words.is_empty() && words.iter().all(|w| healthy_word(Some(w)))
}

/// Every tunnel key present (top level or under `metricsSummary`) says up.
fn tunnel_says_up(item: &serde_json::Value) -> bool {
    let up = |w: &serde_json::Value| {
        w.as_str()
            .is_some_and(|w| crate::collect::map_tunnel(w) == crate::snapshot::TunnelStatus::Up)
    };
    let mut found: Vec<&serde_json::Value> = item.get("tunnelStatus").into_iter().collect();
    for node in [Some(item), item.get("metricsSummary")].into_iter().flatten() {
        for k in ["overallTransportStatus", "overallEncryptionTunnelStatus"] {
            found.extend(node.get(k));
        }
        if let Some(list) = node.get("transportSummary") {
            let Some(list) = list.as_array() else {
                return false;
            };
            found.extend(list.iter().map(|t| t.get("aggregatedTunnelStatus").unwrap_or(&serde_json::Value::Null)));
        }
    }
    !found.is_empty() && found.into_iter().all(up)
}

const SEED_SNAPSHOT: &str = r#"{"schema_version":1,"collected_at":"2026-11-29T09:00:00Z","collector":{"name":"x","version":"1"},
"sites":[{"name":"source","role":"connector","manager":{"version":"4.10.2"},
"connections":[{"kind":"vcenter","url":"https://vc","status":"unknown"}],
"site_pairs":[{"remote_name":"cloud","status":"unknown"}]}],
"errors":[{"site":"source","fact":"backup","message":"unknown"}]}"#;

/// Bytes as an answer of the HCX APIs: every parser the collector applies to an answer
/// must return a value or an error, never panic, and never call an unknown word healthy.
pub fn api_response(data: &[u8]) {
    use crate::collect::{envelope, notes::Notes};
    use crate::snapshot::Status;
    let Ok(v) = crate::collect::http::parse_json(data) else {
        return;
    };
    let mut notes = Notes::default();
    let _ = crate::collect::manager::parse_support(&v, &mut notes);
    let _ = crate::collect::manager::parse_network(&v);
    let _ = crate::collect::connections::parse_appengine(&v);
    let _ = crate::collect::connections::parse_vc_guid(&v);
    let _ = crate::collect::operations::count_active_migrations(&v);
    let _ = crate::collect::operations::count_active_replications(&v);
    let _ = envelope::admin_config(&v);
    let _ = envelope::flat(&v);
    if let Ok(items) = envelope::data_items(&v) {
        let _ = crate::collect::pairs::parse_pairs(items, &mut notes);
        let _ = crate::collect::pairs::parse_local(items);
    }
    if let Ok(items) = envelope::top_items(&v) {
        for item in items {
            let mesh = crate::collect::mesh::parse_mesh(item, &mut notes);
            let appliance = crate::collect::mesh::parse_appliance(item, "fuzz", "fuzz", &mut notes);
            if mesh.status == Some(Status::Healthy) {
                assert!(mesh_says_healthy(item), "a mesh became healthy from {item}");
            }
            if appliance.status == Some(Status::Healthy) {
                assert!(appliance_says_healthy(item), "an appliance became healthy from {item}");
            }
            if appliance.tunnel_status == Some(crate::snapshot::TunnelStatus::Up) {
                assert!(tunnel_says_up(item), "a tunnel became up from {item}");
            }
        }
    }
    if let Some(s) = v.as_str() {
        let status = crate::collect::map_status(s);
        let word = s.trim().to_ascii_lowercase();
        if status == Status::Healthy {
            assert!(!word.is_empty() && !word.contains("unhealthy") && !word.contains("down") && !word.contains("fail"), "`{s}` mapped to healthy");
        }
    }
}
