//! Report formatters: one file per format, each writing a [`Decision`] to any
//! `io::Write`, so that tests render into a `Vec<u8>`. Printers decide nothing:
//! the decision and its exit code come from [`crate::findings`].
//!
//! Some formats report passes as well as findings (JUnit, SARIF rule list, the
//! Markdown compliance report), and a decision only holds findings; what they need
//! besides it (every rule id, every site, the configured waivers) comes in a
//! [`ReportContext`] built once from the policy set and the snapshot.

use std::io::{self, Write};

use crate::findings::{Waiver, Decision, Severity};
use crate::policy::PolicySet;
use crate::snapshot::Snapshot;
use crate::text::RenderOptions;

pub mod evidence;
pub mod fleet;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod table;

/// The output formats of `check` (and of a fleet, [`fleet::render`]); the command line
/// describes each to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// [`table`].
    Table,
    /// [`json`]: the decision record.
    Json,
    /// [`junit`].
    Junit,
    /// [`sarif`].
    Sarif,
    /// [`markdown`]: the compliance report.
    Markdown,
    /// [`html`]: the page of a fleet, or of one estate.
    Html,
}

impl Format {
    /// The name of the format (on the command line).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Junit => "junit",
            Format::Sarif => "sarif",
            Format::Markdown => "markdown",
            Format::Html => "html",
        }
    }
}

/// One rule of the catalog as the reports show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    /// The stable rule id (`backup-missing`).
    pub id: String,
    /// The catalog's title.
    pub title: String,
    /// The effective severity: the config's override, else the catalog's default.
    pub severity: Severity,
    /// The Broadcom KB article number, if any.
    pub kb: Option<String>,
    /// When the rule fires, in words (the catalog's `when`).
    pub when: Option<String>,
    /// What to do about a finding.
    pub remediation: String,
    /// Disabled by the organisation config (`rules.disabled`).
    pub disabled: bool,
}

/// What reports need besides the decision: every rule and site (to report passes),
/// where the snapshot and the policies came from, and the configured waivers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportContext {
    /// Every catalog rule, sorted by id.
    pub rules: Vec<RuleInfo>,
    /// The snapshot's site names, in snapshot order.
    pub sites: Vec<String>,
    /// The snapshot file as given on the command line (`None` when collected in-process).
    pub snapshot_path: Option<String>,
    /// Where each policy module came from (`policies/hcx/...` or an org file), sorted.
    pub policy_sources: Vec<String>,
    /// The waivers of the organisation config, in config order.
    pub waivers: Vec<Waiver>,
}

impl ReportContext {
    /// Gather the context of a `check` run.
    pub fn new(policies: &PolicySet, snapshot: &Snapshot, snapshot_path: Option<&std::path::Path>) -> Self {
        let config = policies.config();
        let rules = Self::rules_of(policies);
        let mut policy_sources: Vec<String> = policies.modules().iter().map(|m| m.origin.clone()).collect();
        policy_sources.sort();
        ReportContext {
            rules,
            sites: snapshot.sites.iter().map(|s| s.name.clone()).collect(),
            snapshot_path: snapshot_path.map(|p| p.display().to_string()),
            policy_sources,
            waivers: config.waivers.clone(),
        }
    }

    /// Every catalog rule with its effective severity, sorted by id.
    pub fn rules_of(policies: &PolicySet) -> Vec<RuleInfo> {
        let config = policies.config();
        policies
            .catalog()
            .iter()
            .map(|(id, e)| RuleInfo {
                id: id.clone(),
                title: e.title.clone(),
                severity: config.severity.get(id).copied().unwrap_or(e.severity),
                kb: e.kb.clone(),
                when: e.when.clone(),
                remediation: e.remediation.clone(),
                disabled: config.disabled.contains(id),
            })
            .collect()
    }

    /// Rule ids in report order: the catalog's, then any other that a finding of
    /// `d` names (sorted), so that no finding is left without its rule.
    pub fn rule_ids(&self, d: &Decision) -> Vec<String> {
        let mut ids: Vec<String> = self.rules.iter().map(|r| r.id.clone()).collect();
        let extra: std::collections::BTreeSet<&String> = d.findings.iter().map(|f| &f.id).filter(|id| !ids.contains(id)).collect();
        ids.extend(extra.into_iter().cloned());
        ids
    }

    /// The rule with this id, if the catalog has it.
    pub fn rule(&self, id: &str) -> Option<&RuleInfo> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// Render `decision` in `format`.
pub fn render(decision: &Decision, format: Format, opts: RenderOptions, ctx: &ReportContext, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Table => table::render(decision, opts, out),
        Format::Json => json::render(decision, out),
        Format::Junit => junit::render(decision, ctx, out),
        Format::Sarif => sarif::render(decision, ctx, out),
        Format::Markdown => markdown::render(decision, ctx, out),
        Format::Html => html::render_single(decision, ctx, out),
    }
}
