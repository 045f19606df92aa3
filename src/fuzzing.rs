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
