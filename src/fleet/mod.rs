//! Fleet mode: many estates (site pairs) judged in one process.
//!
//! An estate comes from an inventory (collected now, see [`collect`]) or from a snapshot
//! directory (what `collect --inventory --out-dir` wrote, with its [`Manifest`]). Each
//! one is judged exactly as `check` judges one snapshot, by the same [`PolicySet`],
//! compiled once and shared by every worker (rayon, all cores). An estate that could not
//! be collected, read or evaluated is *undecided*: it is reported with its error and
//! never hides the results of the others; the fleet's exit code is 2 when any estate is
//! undecided, else 1 when any is denied, else 0.
//!
//! What this module is not: the fleet report and its formats (in [`crate::report::fleet`]).

pub mod collect;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::check::{judge, LoadedSnapshot};
use crate::findings::{ToolRecord, Verdict};
use crate::inventory::Estate;
use crate::plan::{FailOn, Phase, Plan};
use crate::policy::PolicySet;
use crate::report::fleet::{EstateError, EstateResult, FleetHeader, FleetReport, FleetSummary, Outcome, SiteVersion, Stage};
use crate::report::ReportContext;
use crate::version::HcxVersion;

/// The file in a snapshot directory that lists the estates of the collection.
pub const MANIFEST: &str = "fleet.json";

/// Why a fleet cannot be judged at all (one estate's failure is no such error).
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("cannot read snapshot directory {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Manifest { path: PathBuf, message: String },
    #[error("snapshot directory {0} holds no snapshot (*.json)")]
    Empty(PathBuf),
}

/// Where an estate's facts come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A snapshot file to read.
    File(PathBuf),
    /// A snapshot just collected (and where it was saved, if it was).
    Collected(Box<LoadedSnapshot>, Option<PathBuf>),
    /// No snapshot: the estate failed before judging.
    Failed { stage: Stage, message: String },
}

/// One estate to judge.
#[derive(Debug, Clone)]
pub struct EstateInput {
    pub name: String,
    pub tags: BTreeMap<String, String>,
    /// Its own target and phase (else the fleet's).
    pub target: Option<HcxVersion>,
    pub phase: Option<Phase>,
    pub source: Source,
}

impl EstateInput {
    /// An inventory estate with a source.
    pub fn of(estate: &Estate, source: Source) -> Self {
        EstateInput {
            name: estate.name.clone(),
            tags: estate.tags.clone(),
            target: estate.target.clone(),
            phase: estate.phase,
            source,
        }
    }
}

/// What the whole fleet is judged against: the defaults of every estate's plan.
#[derive(Debug, Clone)]
pub struct FleetPlan {
    pub target: HcxVersion,
    pub phase: Phase,
    pub evaluated_at: chrono::DateTime<chrono::Utc>,
    pub fail_on: FailOn,
}

/// Judge every estate in parallel with one compiled policy set; results in input order.
/// Each worker thread judges with its own clone of the set: the prepared interpreter is kept
/// between evaluations behind a lock, so sharing one set would serialize the workers.
pub fn judge_fleet(estates: Vec<EstateInput>, plan: &FleetPlan, policies: &PolicySet) -> FleetReport {
    let results: Vec<EstateResult> = estates
        .into_par_iter()
        .map_init(|| policies.clone(), |own, e| judge_estate(e, plan, own))
        .collect();
    let mut summary = FleetSummary {
        estates: results.len(),
        ..Default::default()
    };
    for r in &results {
        match r.outcome {
            Outcome::Allow => summary.allow += 1,
            Outcome::Deny => summary.deny += 1,
            Outcome::Undecided => summary.undecided += 1,
        }
        if let Some(d) = &r.decision {
            summary.deny_findings += d.summary.deny;
            summary.warn_findings += d.summary.warn;
        }
    }
    let rules = ReportContext::rules_of(policies);
    FleetReport {
        fleet: FleetHeader {
            tool: ToolRecord::this(),
            target_version: plan.target.to_string(),
            phase: plan.phase,
            evaluated_at: crate::plan::format_time(&plan.evaluated_at),
            fail_on: plan.fail_on,
            policy_sha256: policies.digest().to_string(),
            summary,
        },
        estates: results,
        rules,
    }
}

fn judge_estate(e: EstateInput, fleet: &FleetPlan, policies: &PolicySet) -> EstateResult {
    let plan = Plan {
        target_version: e.target.clone().unwrap_or_else(|| fleet.target.clone()),
        phase: e.phase.unwrap_or(fleet.phase),
        evaluated_at: fleet.evaluated_at,
        fail_on: fleet.fail_on,
    };
    let mut result = EstateResult {
        name: e.name,
        tags: e.tags,
        sites: Vec::new(),
        snapshot: None,
        target_version: plan.target_version.to_string(),
        phase: plan.phase,
        outcome: Outcome::Undecided,
        decision: None,
        error: None,
        context: None,
        warnings: Vec::new(),
    };
    let fail = |r: &mut EstateResult, stage: Stage, message: String| r.error = Some(EstateError { stage, message });
    let (loaded, path) = match e.source {
        Source::Failed { stage, message } => {
            fail(&mut result, stage, message);
            return result;
        }
        Source::Collected(loaded, path) => (*loaded, path),
        Source::File(path) => match LoadedSnapshot::from_file(&path) {
            Ok(l) => (l, Some(path)),
            Err(err) => {
                result.snapshot = Some(path.display().to_string());
                fail(&mut result, Stage::Read, err.to_string());
                return result;
            }
        },
    };
    result.snapshot = path.as_ref().map(|p| p.display().to_string());
    result.warnings = loaded.warnings.clone();
    result.sites = loaded
        .snapshot
        .sites
        .iter()
        .map(|s| SiteVersion {
            name: s.name.clone(),
            version: s.manager.version.as_ref().map(|v| v.to_string()),
        })
        .collect();
    match judge(&loaded, &plan, policies) {
        Ok(d) => {
            result.outcome = match d.decision {
                Verdict::Allow => Outcome::Allow,
                Verdict::Deny => Outcome::Deny,
            };
            result.context = Some(ReportContext::new(policies, &loaded.snapshot, path.as_deref()));
            result.decision = Some(d);
        }
        Err(err) => fail(&mut result, Stage::Evaluate, err.to_string()),
    }
    result
}

/// What `collect --inventory --out-dir` records beside the snapshots, so that
/// `check --snapshot-dir` knows each estate's tags, plan and collection failure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub schema_version: u32,
    /// The inventory file the collection was made from.
    pub inventory: String,
    pub collected_at: String,
    pub estates: Vec<ManifestEstate>,
}

/// One estate of a [`Manifest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestEstate {
    pub name: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub phase: Option<String>,
    /// The snapshot's file name in the directory; `null` when collection failed.
    pub snapshot: Option<String>,
    /// Why collection failed.
    #[serde(default)]
    pub error: Option<String>,
}

impl Manifest {
    /// Read `DIR/fleet.json`, if it exists.
    pub fn read(dir: &Path) -> Result<Option<Manifest>, FleetError> {
        let path = dir.join(MANIFEST);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(FleetError::Io { path, source }),
        };
        serde_json::from_str(&text).map(Some).map_err(|e| FleetError::Manifest {
            path,
            message: e.to_string(),
        })
    }

    /// The estates to judge: each with its snapshot file, or its collection failure.
    pub fn inputs(&self, dir: &Path) -> Result<Vec<EstateInput>, FleetError> {
        let bad = |message: String| FleetError::Manifest {
            path: dir.join(MANIFEST),
            message,
        };
        self.estates
            .iter()
            .map(|e| {
                let source = match (&e.snapshot, &e.error) {
                    (Some(file), None) if is_plain_file_name(file) => Source::File(dir.join(file)),
                    (Some(file), None) => return Err(bad(format!("estate {}: snapshot `{file}` is not a file name in the directory", e.name))),
                    (_, Some(message)) => Source::Failed {
                        stage: Stage::Collect,
                        message: message.clone(),
                    },
                    (None, None) => Source::Failed {
                        stage: Stage::Collect,
                        message: "no snapshot was written".into(),
                    },
                };
                Ok(EstateInput {
                    name: e.name.clone(),
                    tags: e.tags.clone(),
                    target: e.target.as_deref().map(HcxVersion::parse).transpose().map_err(|err| bad(format!("estate {}: {err}", e.name)))?,
                    phase: e
                        .phase
                        .as_deref()
                        .map(str::parse::<Phase>)
                        .transpose()
                        .map_err(|err| bad(format!("estate {}: {err}", e.name)))?,
                    source,
                })
            })
            .collect()
    }
}

fn is_plain_file_name(name: &str) -> bool {
    Path::new(name).file_name().is_some_and(|f| f == name) && name != ".."
}

/// The estates of a snapshot directory: from its manifest when it has one, else every
/// `*.json` file (sorted; the estate is the file's stem, without tags).
pub fn snapshot_dir_inputs(dir: &Path) -> Result<Vec<EstateInput>, FleetError> {
    if let Some(m) = Manifest::read(dir)? {
        return m.inputs(dir);
    }
    let io = |source| FleetError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    files.retain(|p| p.extension().is_some_and(|x| x == "json") && p.is_file());
    files.sort();
    if files.is_empty() {
        return Err(FleetError::Empty(dir.to_path_buf()));
    }
    Ok(files
        .into_iter()
        .map(|p| EstateInput {
            name: p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(),
            tags: BTreeMap::new(),
            target: None,
            phase: None,
            source: Source::File(p),
        })
        .collect())
}

/// The inventory's estates read from a snapshot directory: `DIR/<estate>.json`, or the
/// manifest's collection failure for that estate.
pub fn inventory_dir_inputs(estates: &[&Estate], dir: &Path) -> Result<Vec<EstateInput>, FleetError> {
    let manifest = Manifest::read(dir)?;
    Ok(estates
        .iter()
        .map(|e| {
            let failed = manifest
                .as_ref()
                .and_then(|m| m.estates.iter().find(|m| m.name == e.name))
                .and_then(|m| m.error.clone());
            let source = match failed {
                Some(message) => Source::Failed {
                    stage: Stage::Collect,
                    message,
                },
                None => Source::File(dir.join(format!("{}.json", e.name))),
            };
            EstateInput::of(e, source)
        })
        .collect())
}
