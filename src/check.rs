//! Judging: a snapshot and a plan, evaluated by a policy set, give a decision, with
//! what it rests on ([`rests_on`]).

pub mod rests_on;

use crate::findings::Decision;
use crate::policy::engine::EnginePath;
use crate::plan::{input_value, Plan};
use crate::policy::{sha256_hex, PolicyError, PolicySet};
use crate::snapshot::{Snapshot, SnapshotWarning};

/// A snapshot with the bytes its digest is taken over (the file as read, or the
/// canonical form written by `collect`).
#[derive(Debug, Clone)]
pub struct LoadedSnapshot {
    pub snapshot: Snapshot,
    pub sha256: String,
    /// Where it came from, as given (`-` for stdin); `None` when collected in-process
    /// and not saved. The decision record names it.
    pub path: Option<String>,
    /// Keys of the file the model does not know (ignored); the command layer shows them.
    pub warnings: Vec<SnapshotWarning>,
}

impl LoadedSnapshot {
    /// Read and validate a snapshot file, or standard input for `-`; the digest is that of
    /// the bytes read.
    pub fn from_path_or_stdin(path: &std::path::Path) -> Result<Self, crate::snapshot::SnapshotError> {
        Self::from_bytes(Snapshot::read_input(path)?, path)
    }

    /// Read and validate a snapshot file (a path only: `-` is a file of that name here).
    pub fn from_file(path: &std::path::Path) -> Result<Self, crate::snapshot::SnapshotError> {
        Self::from_bytes(Snapshot::read_file(path)?, path)
    }

    fn from_bytes(bytes: Vec<u8>, path: &std::path::Path) -> Result<Self, crate::snapshot::SnapshotError> {
        let (snapshot, warnings) = Snapshot::parse(&bytes, path)?;
        Ok(LoadedSnapshot {
            snapshot,
            sha256: sha256_hex(&bytes),
            path: Some(path.display().to_string()),
            warnings,
        })
    }

    /// A snapshot held in memory (just collected); the digest is that of its file form.
    pub fn from_snapshot(snapshot: Snapshot) -> Self {
        let sha256 = sha256_hex(snapshot.to_json_pretty().as_bytes());
        LoadedSnapshot {
            snapshot,
            sha256,
            path: None,
            warnings: Vec::new(),
        }
    }

    /// The same snapshot, recorded as read from `path` (e.g. a file with `--attest` applied).
    pub fn with_path(mut self, path: Option<&std::path::Path>) -> Self {
        self.path = path.map(|p| p.display().to_string());
        self
    }
}

/// Evaluate `plan` on `snapshot` and derive the decision.
pub fn judge(loaded: &LoadedSnapshot, plan: &Plan, policies: &PolicySet) -> Result<Decision, PolicyError> {
    judge_traced(loaded, plan, policies).map(|(decision, _)| decision)
}

/// How a decision was evaluated (for `check --verbose`).
#[derive(Debug, Clone)]
pub struct EngineUse {
    pub path: EnginePath,
    /// Why the RVM did not evaluate, when the set meant it to.
    pub fallback: Option<String>,
}

/// [`judge`], also telling which engine path evaluated.
pub fn judge_traced(loaded: &LoadedSnapshot, plan: &Plan, policies: &PolicySet) -> Result<(Decision, EngineUse), PolicyError> {
    let input = input_value(&loaded.snapshot, plan).map_err(PolicyError::Eval)?;
    let mut evaluation = policies.evaluate_value(input)?;
    rests_on::mark_overrides(&mut evaluation.findings, policies);
    let rests_on = rests_on::assemble(loaded, plan, policies, &evaluation.findings)?;
    let mut decision = Decision::new(evaluation.findings, plan, loaded.sha256.clone(), policies.digest().to_string());
    decision.facts_sha256 = facts_digests(&loaded.snapshot);
    decision.rests_on = Some(rests_on);
    let used = EngineUse {
        path: evaluation.path,
        fallback: evaluation.fallback,
    };
    Ok((decision, used))
}

/// SHA-256 of each site's facts, by site name: what the rules look at, without the
/// collection time nor the times attestations were stated, so that two collections of an
/// unchanged estate (attested again with the same facts) compare equal.
pub fn facts_digests(snapshot: &Snapshot) -> std::collections::BTreeMap<String, String> {
    snapshot
        .sites
        .iter()
        .map(|s| {
            let text = serde_json::to_string(&site_facts(s)).expect("a site serializes");
            (s.name.clone(), sha256_hex(text.as_bytes()))
        })
        .collect()
}

/// A site's facts as [`facts_digests`] digests them (attestation times dropped): what an
/// approved decision's facts are compared with, fact by fact (`approval`).
pub fn site_facts(site: &crate::snapshot::Site) -> serde_json::Value {
    let mut value = serde_json::to_value(site).expect("a site serializes");
    drop_attestation_times(&mut value);
    value
}

fn drop_attestation_times(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            map.remove("attested_at");
            map.values_mut().for_each(drop_attestation_times);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_attestation_times),
        _ => {}
    }
}
