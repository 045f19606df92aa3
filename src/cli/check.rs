//! `hcx-preflight check`: judge one snapshot (read, or collected now) against a target
//! version and gate the upgrade; with --inventory/--snapshot-dir, a fleet.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;

use hcx_preflight::check::{judge_traced, EngineUse, LoadedSnapshot};
use hcx_preflight::collect::{self, DEFAULT_RETRIES, DEFAULT_TIMEOUT_SECS};
use hcx_preflight::plan;
use hcx_preflight::policy::PolicySet;
use hcx_preflight::report::{self, Format, ReportContext};
use hcx_preflight::snapshot::Snapshot;

use super::args::{CollectArgs, FleetArgs, PlanArgs, PolicyArgs};
use super::collect::collect_now;
use super::values::{parser, FormatArg};
use super::{ExitStatus, Printer};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The snapshot to judge (or collect one with --site).
    #[arg(long, value_name = "FILE", required_unless_present_any = ["sites", "inventory", "snapshot_dir"], conflicts_with = "sites")]
    pub snapshot: Option<PathBuf>,
    /// Fleet: judge every estate of this inventory (collected now, or read from --snapshot-dir).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["snapshot", "sites", "dump_input"])]
    pub inventory: Option<PathBuf>,
    /// Fleet: judge every snapshot in DIR (as `collect --inventory --out-dir` writes it).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["snapshot", "sites", "dump_input", "out_dir"])]
    pub snapshot_dir: Option<PathBuf>,
    /// Fleet: with --inventory, also write each snapshot and the manifest to DIR.
    #[arg(long, value_name = "DIR", requires = "inventory")]
    pub out_dir: Option<PathBuf>,
    #[command(flatten)]
    pub fleet: FleetArgs,
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Collect from the HCX Managers (instead of --snapshot).
    #[command(flatten)]
    pub collect: CollectArgs,
    /// Also write the judged snapshot to FILE (atomically): the collected one with --site, or
    /// the --snapshot with the attestations of --attest/--attestations applied.
    #[arg(long, value_name = "FILE")]
    pub save_snapshot: Option<PathBuf>,
    /// Output format [default: from the --output file's extension (.json, .sarif, .xml,
    /// .md, .html, .txt), else table].
    #[arg(long, value_parser = parser::<FormatArg, Format>())]
    pub format: Option<Format>,
    /// Write the report to FILE (atomically) instead of stdout; the decision line still
    /// goes to stderr.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print the exact Rego input document instead of judging.
    #[arg(long)]
    pub dump_input: bool,
    #[command(flatten)]
    pub policy: PolicyArgs,
}

impl CheckArgs {
    /// The report's format: `--format`, else the one the `--output` file's extension
    /// names, else table. A `--format` the extension contradicts is refused, never mixed.
    pub fn report_format(&self) -> Result<Format> {
        let ext = self.output.as_deref().and_then(|p| p.extension()).and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        let fits: &[Format] = match ext.as_deref() {
            Some("json") => &[Format::Json, Format::Sarif],
            Some("sarif") => &[Format::Sarif],
            Some("xml") => &[Format::Junit],
            Some("md" | "markdown") => &[Format::Markdown],
            Some("html" | "htm") => &[Format::Html],
            Some("txt" | "text") => &[Format::Table],
            _ => &[],
        };
        match (self.format, fits.first()) {
            (Some(given), Some(_)) if !fits.contains(&given) => bail!(
                "--format {} does not fit --output {}: name a file ending in {}, or leave out --format",
                given.as_str(),
                self.output.as_deref().map(|p| p.display().to_string()).unwrap_or_default(),
                extension_of(given)
            ),
            (Some(given), _) => Ok(given),
            (None, Some(inferred)) => Ok(*inferred),
            (None, None) => Ok(Format::Table),
        }
    }
}

/// The usual file extension of a format, for messages.
fn extension_of(format: Format) -> &'static str {
    match format {
        Format::Table => ".txt",
        Format::Json => ".json",
        Format::Junit => ".xml",
        Format::Sarif => ".sarif",
        Format::Markdown => ".md",
        Format::Html => ".html",
    }
}

/// The collector's options that mean nothing for a snapshot read from a file: refused,
/// never ignored.
fn collector_only_flags(c: &CollectArgs) -> Vec<&'static str> {
    let mut given = Vec::new();
    if c.insecure {
        given.push("--insecure");
    }
    if !c.ca_cert.is_empty() {
        given.push("--ca-cert");
    }
    if c.password_stdin {
        given.push("--password-stdin");
    }
    if c.timeout != DEFAULT_TIMEOUT_SECS {
        given.push("--timeout");
    }
    if c.retries != DEFAULT_RETRIES {
        given.push("--retries");
    }
    if c.unknown_out.is_some() {
        given.push("--unknown-out");
    }
    given
}

fn save_snapshot(path: Option<&Path>, snapshot: &Snapshot) -> Result<()> {
    if let Some(p) = path {
        hcx_preflight::fsutil::write_atomic(p, snapshot.to_json_pretty().as_bytes())
            .with_context(|| format!("cannot write the snapshot to {}", p.display()))?;
    }
    Ok(())
}

pub fn check(args: CheckArgs, printer: &Printer) -> Result<ExitStatus> {
    let format = args.report_format()?;
    if args.inventory.is_some() || args.snapshot_dir.is_some() {
        return super::fleet::check(&args, format, printer);
    }
    let collect = args.collect.options();
    let (loaded, snapshot_path) = match &args.snapshot {
        Some(path) => {
            let flags = collector_only_flags(&args.collect);
            if !flags.is_empty() {
                bail!(
                    "refusing {} with --snapshot {}: collector options apply only when collecting with --site",
                    flags.join(", "),
                    path.display()
                );
            }
            let loaded = LoadedSnapshot::from_path_or_stdin(path)?;
            for w in &loaded.warnings {
                printer.warn(format!("warning: {w}"));
            }
            let attestations = collect::read_attestations(&collect)?;
            if attestations.is_empty() && args.save_snapshot.is_none() {
                (loaded, Some(path.as_path()))
            } else {
                // Attested at the evaluation time, so that a re-evaluation (--now) is exact; the
                // decision's digest is that of the snapshot with them (as --save-snapshot writes it).
                let mut snapshot = loaded.snapshot;
                collect::attest::apply(&mut snapshot, &attestations, args.plan.now.unwrap_or_else(plan::now))?;
                save_snapshot(args.save_snapshot.as_deref(), &snapshot)?;
                (LoadedSnapshot::from_snapshot(snapshot).with_path(Some(path)), args.save_snapshot.as_deref())
            }
        }
        None => {
            let snapshot = collect_now(&collect, printer)?;
            save_snapshot(args.save_snapshot.as_deref(), &snapshot)?;
            collect::write_unknown_form(&collect, &snapshot)?;
            super::collect::unknown_summary(&collect, &snapshot, printer)?;
            let saved = args.save_snapshot.as_deref();
            (LoadedSnapshot::from_snapshot(snapshot).with_path(saved), saved)
        }
    };
    // Evaluated after the collection (and the attestations made during it).
    let plan = args.plan.plan();
    if args.dump_input {
        let mut text = serde_json::to_string_pretty(&plan::input_document(&loaded.snapshot, &plan))?;
        text.push('\n');
        printer.emit(args.output.as_deref(), text.as_bytes())?;
        return Ok(ExitStatus::Allowed);
    }
    let policies = args.policy.load()?;
    let (decision, used) = judge_traced(&loaded, &plan, &policies)?;
    printer.verbose(engine_line(&policies, &used));
    let ctx = ReportContext::new(&policies, &loaded.snapshot, snapshot_path);
    let mut buf = Vec::new();
    let opts = printer.render_options(args.output.is_some());
    report::render(&decision, format, opts, &ctx, &mut buf)?;
    printer.emit(args.output.as_deref(), &buf)?;
    if args.output.is_some() {
        // The report went to a file: the decision still shows where the command ran.
        printer.status(report::table::decision_line(&decision, printer.render_options(true)));
    }
    Ok(decision.verdict().into())
}

/// What `check --verbose` says about the engine: the path, and why not the RVM.
fn engine_line(policies: &PolicySet, used: &EngineUse) -> String {
    let modules = policies.modules().len();
    match &used.fallback {
        None if policies.compiled_at_build_time() => {
            format!("engine: {} ({modules} built-in modules compiled to one RVM program at build time)", used.path.as_str())
        }
        None => format!("engine: {} ({modules} modules compiled to one RVM program)", used.path.as_str()),
        Some(reason) => format!("engine: {} (fallback from the RVM: {reason})", used.path.as_str()),
    }
}
