//! The fleet modes of `collect` (--inventory) and `check` (--inventory/--snapshot-dir):
//! they tie the inventory, the fleet collector, the judge and the fleet reports together.

use std::path::Path;

use anyhow::{bail, Result};

use hcx_preflight::collect::{CollectOptions, ProcessEnv};
use hcx_preflight::fleet::collect::{collect_fleet_blocking, FleetCollectOptions};
use hcx_preflight::fleet::{self, inventory_dir_inputs, judge_fleet, snapshot_dir_inputs, EstateInput, FleetPlan};
use hcx_preflight::inventory::Inventory;
use hcx_preflight::report::fleet::{Outcome, Stage};
use hcx_preflight::report::{self, Format};
use hcx_preflight::text::plural;

use super::args::FleetArgs;
use super::check::CheckArgs;
use super::{ExitStatus, Printer};

fn load_selected(file: &Path, fleet: &FleetArgs) -> Result<Inventory> {
    let mut inv = Inventory::load(file)?;
    inv.estates.retain(|e| e.matches(&fleet.tags));
    if inv.estates.is_empty() {
        bail!("no estate of {} matches the --tag filter", file.display());
    }
    Ok(inv)
}

fn options(inventory: &Path, base: &CollectOptions, fleet: &FleetArgs, out_dir: Option<&Path>, printer: &Printer) -> FleetCollectOptions {
    FleetCollectOptions {
        base: base.clone(),
        jobs: usize::from(fleet.jobs),
        out_dir: out_dir.map(Path::to_path_buf),
        progress: printer.progress(),
        inventory: inventory.to_path_buf(),
    }
}

/// `collect --inventory FILE --out-dir DIR`: 0 when every estate was collected, 2 when
/// any failed (each failure is on stderr and in the manifest; the others are written).
pub fn collect(inventory: &Path, dir: &Path, base: &CollectOptions, fleet: &FleetArgs, printer: &Printer) -> Result<ExitStatus> {
    let inv = load_selected(inventory, fleet)?;
    let selected: Vec<_> = inv.estates.iter().collect();
    printer.collect_warnings(base);
    let inputs = collect_fleet_blocking(&selected, &options(inventory, base, fleet, Some(dir), printer), &ProcessEnv)?;
    let failed = report_failed_collections(&inputs, printer);
    printer.status(format_args!(
        "wrote {} and {} to {}; {} failed",
        plural(inputs.len() - failed, "snapshot", "snapshots"),
        fleet::MANIFEST,
        dir.display(),
        plural(failed, "estate", "estates")
    ));
    Ok(if failed > 0 { ExitStatus::Error } else { ExitStatus::Allowed })
}

/// `check --inventory FILE` (collect, then judge), `check --snapshot-dir DIR`, or both
/// (the inventory's estates read from the directory).
pub fn check(args: &CheckArgs, format: Format, printer: &Printer) -> Result<ExitStatus> {
    // Compile first: a policy set that does not compile stops before any request.
    let policies = args.policy.load()?;
    let inputs = match (&args.inventory, &args.snapshot_dir) {
        (Some(file), Some(dir)) => {
            let inv = load_selected(file, &args.fleet)?;
            inventory_dir_inputs(&inv.estates.iter().collect::<Vec<_>>(), dir)?
        }
        (Some(file), None) => {
            let inv = load_selected(file, &args.fleet)?;
            let selected: Vec<_> = inv.estates.iter().collect();
            let base = args.collect.options();
            printer.collect_warnings(&base);
            let opts = options(file, &base, &args.fleet, args.out_dir.as_deref(), printer);
            let inputs = collect_fleet_blocking(&selected, &opts, &ProcessEnv)?;
            report_failed_collections(&inputs, printer);
            inputs
        }
        (None, Some(dir)) => {
            let mut inputs = snapshot_dir_inputs(dir)?;
            let filter = &args.fleet.tags;
            inputs.retain(|i| hcx_preflight::inventory::tags_match(&i.tags, filter));
            if inputs.is_empty() {
                bail!("no estate of {} matches the --tag filter", dir.display());
            }
            inputs
        }
        (None, None) => bail!("name the fleet with --inventory FILE or --snapshot-dir DIR"),
    };
    let plan = args.plan.plan();
    let report = judge_fleet(
        inputs,
        &FleetPlan {
            target: plan.target_version,
            phase: plan.phase,
            evaluated_at: plan.evaluated_at,
            fail_on: plan.fail_on,
        },
        &policies,
    );
    for e in &report.estates {
        for w in &e.warnings {
            printer.warn(format!("warning: {w}"));
        }
        if e.outcome == Outcome::Undecided {
            printer.warn(format_args!("estate {}: not decided: {}", e.name, e.blocker_text()));
        }
    }
    let mut buf = Vec::new();
    report::fleet::render(&report, format, printer.render_options(args.output.is_some()), &mut buf)?;
    printer.emit(args.output.as_deref(), &buf)?;
    Ok(report.outcome().into())
}

/// Say which estates could not be collected (each is in the manifest too); their count.
fn report_failed_collections(inputs: &[EstateInput], printer: &Printer) -> usize {
    let mut failed = 0;
    for input in inputs {
        if let fleet::Source::Failed { stage: Stage::Collect, message } = &input.source {
            printer.warn(format_args!("estate {}: collection failed: {message}", input.name));
            failed += 1;
        }
    }
    failed
}
