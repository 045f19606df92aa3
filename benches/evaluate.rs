//! Evaluation throughput of the whole built-in policy set, and the whole-process
//! time of `check`. Run with `cargo bench --bench evaluate`; the figures are
//! measured in one run and reported as ratios too, never asserted.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use hcx_preflight::check::{judge, LoadedSnapshot};
use hcx_preflight::plan::{parse_time, FailOn, Phase, Plan};
use hcx_preflight::policy::PolicySet;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/snapshots").join(name)
}

/// Mean time of `f` over enough iterations to fill about `budget`.
fn measure(budget: Duration, mut f: impl FnMut()) -> (Duration, u32) {
    f(); // warm-up
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed() < budget || n < 5 {
        f();
        n += 1;
    }
    (start.elapsed() / n, n)
}

fn main() {
    // `cargo bench` passes --bench; under `cargo test --all-targets` one quick pass
    // checks that the benchmark still runs.
    let full = std::env::args().any(|a| a == "--bench");
    let budget = |secs: u64| if full { Duration::from_secs(secs) } else { Duration::ZERO };
    let plan = Plan {
        target_version: "4.11.0".parse().expect("version"),
        phase: Phase::Managers,
        evaluated_at: parse_time("2026-11-29T09:05:00Z").expect("time"),
        fail_on: FailOn::Deny,
    };
    let (load, _) = measure(budget(2), || {
        PolicySet::builtin().expect("compile");
    });
    let policies = PolicySet::builtin().expect("compile");
    let typical = LoadedSnapshot::from_file(&fixture("two-site-healthy.json")).expect("fixture");
    let large = LoadedSnapshot::from_file(&fixture("large-estate.json")).expect("fixture");
    let appliances: usize = large
        .snapshot
        .sites
        .iter()
        .flat_map(|s| s.service_meshes.iter().flatten())
        .map(|m| m.appliances.as_ref().map_or(0, |a| a.len()))
        .sum();

    let (t_typ, n_typ) = measure(budget(3), || {
        judge(&typical, &plan, &policies).expect("judge");
    });
    let (t_large, n_large) = measure(budget(3), || {
        judge(&large, &plan, &policies).expect("judge");
    });

    println!("policy set load + compile:            {:>10.3} ms", load.as_secs_f64() * 1e3);
    println!(
        "evaluation, typical 2-site snapshot:  {:>10.3} ms  ({:.0} evaluations/s, {n_typ} runs)",
        t_typ.as_secs_f64() * 1e3,
        1.0 / t_typ.as_secs_f64()
    );
    println!(
        "evaluation, large (2 sites, {appliances} appliances): {:>7.3} ms  ({:.0} evaluations/s, {n_large} runs)",
        t_large.as_secs_f64() * 1e3,
        1.0 / t_large.as_secs_f64()
    );
    println!("ratio large / typical:                {:>10.1}x", t_large.as_secs_f64() / t_typ.as_secs_f64());

    let bin = env!("CARGO_BIN_EXE_hcx-preflight");
    let snap = fixture("two-site-healthy.json");
    let (t_proc, n_proc) = measure(budget(3), || {
        let out = Command::new(bin)
            .args(["check", "--snapshot"])
            .arg(&snap)
            .args(["--target", "4.11.0", "--now", "2026-11-29T09:05:00Z", "--format", "json"])
            .output()
            .expect("run hcx-preflight");
        assert_eq!(out.status.code(), Some(0));
    });
    println!(
        "whole `check` process (typical):       {:>10.3} ms  ({n_proc} runs)",
        t_proc.as_secs_f64() * 1e3
    );
    println!(
        "share of one process spent evaluating: {:>10.1} %",
        100.0 * t_typ.as_secs_f64() / t_proc.as_secs_f64()
    );
}
