//! Fleet mode, measured (never asserted): `cargo bench --bench fleet`.
//!
//! 1. Judging: 1,000 snapshot files judged in one process by one compiled policy set,
//!    on 1 thread and on every core (evaluations per second, scaling), against
//!    one-by-one `check` processes on a sample of the same files (extrapolated to 1,000).
//! 2. Collecting: 50 simulated estates (two managers each) with 50 ms per request. The
//!    longest single estate collected alone is the critical path; `--jobs J` implies
//!    ceil(50 / J) waves; the aim is a fleet wall time within 1.5x critical path x waves.
//!    Against it: the same estates collected one by one.
//!
//! Under `cargo test --all-targets` (no `--bench`) one quick, small pass checks that the
//! benchmark still runs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use hcx_preflight::collect::CollectOptions;
use hcx_preflight::fleet::collect::{collect_fleet_blocking, FleetCollectOptions, DEFAULT_PER_MANAGER};
use hcx_preflight::fleet::{judge_fleet, snapshot_dir_inputs, FleetPlan, Source};
use hcx_preflight::report::fleet::Outcome;
use hcx_preflight::inventory::Inventory;
use hcx_preflight::plan::{parse_time, FailOn, Phase};
use hcx_preflight::policy::PolicySet;
use hcx_sim::fleet::{FleetSpec, SimFleet};

const FIXTURES: [&str; 5] = [
    "two-site-healthy.json",
    "site-pair-unhealthy.json",
    "unhealthy-connections.json",
    "busy-estate.json",
    "unhealthy-interconnect.json",
];
const NOW: &str = "2026-11-29T09:05:00Z";

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn judging(full: bool) {
    let n = if full { 1000 } else { 20 };
    let dir = tempfile::tempdir().expect("tempdir");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/snapshots");
    for i in 0..n {
        let fixture = root.join(FIXTURES[i % FIXTURES.len()]);
        std::fs::copy(&fixture, dir.path().join(format!("estate-{i:04}.json"))).expect("copy");
    }
    let started = Instant::now();
    let policies = PolicySet::builtin().expect("compile");
    let compile = started.elapsed();
    let plan = FleetPlan {
        target: "4.11.0".parse().expect("version"),
        phase: Phase::Managers,
        evaluated_at: parse_time(NOW).expect("time"),
        fail_on: FailOn::Deny,
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("judging {n} snapshot files (5 fixtures in turn), policy set compiled once in {:.1} ms", secs(compile) * 1e3);
    let mut one_thread = None;
    let mut threads: Vec<usize> = vec![1, 2, cores];
    threads.sort();
    threads.dedup();
    for t in threads {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(t).build().expect("pool");
        let inputs = snapshot_dir_inputs(dir.path()).expect("inputs");
        let started = Instant::now();
        let report = pool.install(|| judge_fleet(inputs, &plan, &policies));
        let wall = started.elapsed();
        assert_eq!(report.estates.iter().filter(|e| e.outcome == Outcome::Undecided).count(), 0);
        let base = *one_thread.get_or_insert(wall);
        println!(
            "  {t} thread(s): {:>8.3} s  {:>8.0} evaluations/s  speed-up x{:.2}",
            secs(wall),
            n as f64 / secs(wall),
            secs(base) / secs(wall)
        );
    }
    let sample = if full { 20 } else { 2 };
    let bin = env!("CARGO_BIN_EXE_hcx-preflight");
    let started = Instant::now();
    for i in 0..sample {
        let out = Command::new(bin)
            .args(["check", "--snapshot"])
            .arg(dir.path().join(format!("estate-{i:04}.json")))
            .args(["--target", "4.11.0", "--now", NOW, "--format", "json"])
            .output()
            .expect("run hcx-preflight");
        assert!(matches!(out.status.code(), Some(0 | 1)));
    }
    let per = started.elapsed() / sample;
    println!(
        "  one-by-one `check` processes: {:.1} ms each ({sample} runs) -> {:.1} s for {n} (extrapolated)",
        secs(per) * 1e3,
        secs(per) * n as f64
    );
}

fn collect_options(dir: &Path, jobs: usize) -> FleetCollectOptions {
    let mut base = CollectOptions::new(Vec::new());
    base.ca_cert = vec![dir.join("ca.pem")];
    FleetCollectOptions {
        base,
        jobs,
        out_dir: None,
        progress: false,
        inventory: dir.join("inventory.toml"),
    }
}

fn collecting(full: bool) {
    let (n, latency) = if full { (50, 50) } else { (4, 10) };
    let fleet = SimFleet::start(&FleetSpec {
        estates: n,
        fault_share: 0.0,
        latency_ms: latency,
    })
    .expect("simulator");
    let dir = tempfile::tempdir().expect("tempdir");
    let inventory = Inventory::load(&fleet.write(dir.path()).expect("write")).expect("inventory");
    let env = fleet.env();
    let all: Vec<_> = inventory.estates.iter().collect();
    let requests_before = fleet.sim.total_requests();

    // One by one: each estate alone; the longest is the critical path.
    let started = Instant::now();
    let mut longest = Duration::ZERO;
    for e in &all {
        let t = Instant::now();
        let got = collect_fleet_blocking(std::slice::from_ref(e), &collect_options(dir.path(), 1), &env).expect("collect");
        assert!(matches!(got[0].source, Source::Collected(..)));
        longest = longest.max(t.elapsed());
    }
    let one_by_one = started.elapsed();
    let per_estate = (fleet.sim.total_requests() - requests_before) / n as u64;
    println!(
        "collecting {n} estates (2 managers each, {per_estate} requests per estate, {latency} ms per request, at most {DEFAULT_PER_MANAGER} requests in flight per manager)"
    );
    println!("  one by one: {:.2} s; longest single estate (critical path): {:.3} s", secs(one_by_one), secs(longest));
    for jobs in [8, n] {
        let started = Instant::now();
        let got = collect_fleet_blocking(&all, &collect_options(dir.path(), jobs), &env).expect("collect");
        let wall = started.elapsed();
        assert!(got.iter().all(|g| matches!(g.source, Source::Collected(..))));
        let waves = n.div_ceil(jobs);
        let bound = longest * waves as u32;
        println!(
            "  --jobs {jobs:>2}: {:.2} s = {:.2}x (critical path x {waves} wave(s) = {:.2} s; aim <= 1.5x); {:.1}x faster than one by one",
            secs(wall),
            secs(wall) / secs(bound),
            secs(bound),
            secs(one_by_one) / secs(wall)
        );
    }
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    judging(full);
    collecting(full);
}
