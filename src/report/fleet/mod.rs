//! The fleet report: every estate's result ([`FleetReport`], data that `fleet` fills in
//! by judging), and its formats, the same as `check`'s, for many estates at once (one
//! file per format, each writing a [`FleetReport`] to any `io::Write`). An undecided
//! estate is always shown with its error, never left out.
//!
//! - `table`: a summary (estate, tags, sites and versions, decision, deny/warn counts,
//!   first blocker), then each estate's usual table.
//! - `json`: one document: `fleet` (header and summary) and `estates` (each with its
//!   decision record, exactly as `check --format json` writes it, or its error).
//! - `junit`: one test suite per estate; `sarif`: one run per estate.
//! - `markdown`: a fleet compliance report; `html`: one self-contained page ([`super::html`]).

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use super::{Format, ReportContext, RuleInfo};
use crate::findings::{Decision, Finding, ToolRecord, Verdict};
use crate::plan::{FailOn, Phase};
use crate::snapshot::SnapshotWarning;
use crate::text::RenderOptions;

pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod table;

/// The pipeline stage at which an estate failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Its managers could not be read (unreachable, 401, TLS, missing credentials).
    Collect,
    /// Its snapshot file could not be read or is not valid.
    Read,
    /// The policies could not evaluate it.
    Evaluate,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Collect => "collect",
            Stage::Read => "read",
            Stage::Evaluate => "evaluate",
        }
    }
}

/// A site of an estate as the summary shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiteVersion {
    pub name: String,
    /// The manager's current version (`null`: unknown).
    pub version: Option<String>,
}

/// An estate's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Allow,
    Deny,
    /// No decision could be made (see the estate's `error`).
    Undecided,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allow => "allow",
            Outcome::Deny => "deny",
            Outcome::Undecided => "undecided",
        }
    }
}

/// Why an estate is undecided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EstateError {
    pub stage: Stage,
    pub message: String,
}

/// One estate's result.
#[derive(Debug, Clone, Serialize)]
pub struct EstateResult {
    pub name: String,
    pub tags: BTreeMap<String, String>,
    pub sites: Vec<SiteVersion>,
    /// The snapshot judged (a path), when it is a file.
    pub snapshot: Option<String>,
    pub target_version: String,
    pub phase: Phase,
    pub outcome: Outcome,
    /// The decision record, exactly as `check --format json` writes it.
    pub decision: Option<Decision>,
    pub error: Option<EstateError>,
    /// What the single-estate reports need besides the decision.
    #[serde(skip)]
    pub context: Option<ReportContext>,
    /// The keys of its snapshot file that the model does not know (the command layer shows them).
    #[serde(skip)]
    pub warnings: Vec<SnapshotWarning>,
}

impl EstateResult {
    /// The first finding that blocks the gate (findings are in report order).
    pub fn first_blocker(&self) -> Option<&Finding> {
        let d = self.decision.as_ref()?;
        d.findings.iter().find(|f| f.blocks(super::junit::fail_on(d)))
    }

    /// `id (site)` of the first blocker, or the error of an undecided estate.
    pub fn blocker_text(&self) -> String {
        match (&self.error, self.first_blocker()) {
            (Some(e), _) => format!("{} failed: {}", e.stage.as_str(), e.message.lines().next().unwrap_or_default()),
            (None, Some(f)) => match &f.site {
                Some(s) => format!("{} ({s})", f.id),
                None => f.id.clone(),
            },
            (None, None) => String::new(),
        }
    }
}

/// Counts over the fleet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FleetSummary {
    pub estates: usize,
    pub allow: usize,
    pub deny: usize,
    pub undecided: usize,
    /// Unwaived deny / warn findings over every decided estate.
    pub deny_findings: usize,
    pub warn_findings: usize,
}

/// The fleet's header: how it was judged.
#[derive(Debug, Clone, Serialize)]
pub struct FleetHeader {
    pub tool: ToolRecord,
    /// The default target and phase (an estate may have its own).
    pub target_version: String,
    pub phase: Phase,
    pub evaluated_at: String,
    pub fail_on: FailOn,
    pub policy_sha256: String,
    pub summary: FleetSummary,
}

/// Every estate's result and the summary: `check --inventory/--snapshot-dir --format json`.
#[derive(Debug, Clone, Serialize)]
pub struct FleetReport {
    pub fleet: FleetHeader,
    pub estates: Vec<EstateResult>,
    /// The catalog's rules (the readiness matrix's columns).
    #[serde(skip)]
    pub rules: Vec<RuleInfo>,
}

impl FleetReport {
    /// The fleet's outcome is its worst estate's: undecided when any estate is, else
    /// denied when any is, else allowed.
    pub fn outcome(&self) -> Outcome {
        let s = &self.fleet.summary;
        if s.undecided > 0 {
            Outcome::Undecided
        } else if s.deny > 0 {
            Outcome::Deny
        } else {
            Outcome::Allow
        }
    }

    /// A fleet of one estate (the page of `check --format html`). The context does not
    /// carry the managers' versions, so the sites are listed without them.
    pub fn single(name: String, decision: Decision, ctx: ReportContext) -> Self {
        let outcome = match decision.decision {
            Verdict::Allow => Outcome::Allow,
            Verdict::Deny => Outcome::Deny,
        };
        let summary = FleetSummary {
            estates: 1,
            allow: usize::from(outcome == Outcome::Allow),
            deny: usize::from(outcome == Outcome::Deny),
            undecided: 0,
            deny_findings: decision.summary.deny,
            warn_findings: decision.summary.warn,
        };
        FleetReport {
            fleet: FleetHeader {
                tool: decision.tool.clone(),
                target_version: decision.plan.target_version.clone(),
                phase: decision.plan.phase,
                evaluated_at: decision.plan.evaluated_at.clone(),
                fail_on: decision.plan.fail_on,
                policy_sha256: decision.policy_sha256.clone(),
                summary,
            },
            rules: ctx.rules.clone(),
            estates: vec![EstateResult {
                name,
                tags: BTreeMap::new(),
                sites: ctx.sites.iter().map(|s| SiteVersion { name: s.clone(), version: None }).collect(),
                snapshot: ctx.snapshot_path.clone(),
                target_version: decision.plan.target_version.clone(),
                phase: decision.plan.phase,
                outcome,
                decision: Some(decision),
                error: None,
                context: Some(ctx),
                warnings: Vec::new(),
            }],
        }
    }

    /// Every tag key of the fleet, sorted.
    pub fn tag_keys(&self) -> Vec<String> {
        let keys: std::collections::BTreeSet<&String> = self.estates.iter().flat_map(|e| e.tags.keys()).collect();
        keys.into_iter().cloned().collect()
    }
}

/// Render the fleet in `format`.
pub fn render(report: &FleetReport, format: Format, opts: RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Table => table::render(report, opts, out),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::other)?;
            out.write_all(b"\n")
        }
        Format::Junit => junit::render(report, out),
        Format::Sarif => sarif::render(report, out),
        Format::Markdown => markdown::render(report, out),
        Format::Html => super::html::render(report, out),
    }
}

/// `key=value` pairs of an estate's tags, comma-separated (`-` when none).
pub fn tag_text(tags: &std::collections::BTreeMap<String, String>) -> String {
    if tags.is_empty() {
        return "-".into();
    }
    tags.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
}

/// `name version` of each site, comma-separated (`?` for an unknown version).
pub(crate) fn sites_text(e: &EstateResult) -> String {
    if e.sites.is_empty() {
        return "-".into();
    }
    e.sites
        .iter()
        .map(|s| format!("{} {}", s.name, s.version.as_deref().unwrap_or("?")))
        .collect::<Vec<_>>()
        .join(", ")
}
