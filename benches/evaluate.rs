//! Evaluation speed of the whole built-in policy set, per engine path, beside the real
//! OPA engine on the exported bundle and the same input, and the whole-process time
//! and peak memory of `check`. Run with `cargo bench --bench evaluate`: every figure
//! comes from the same run and is reported (ratios too), never asserted. Under
//! `cargo test --all-targets` one quick pass checks that the benchmark still runs and
//! that the engine paths agree on its inputs.
//!
//! Inputs (target 4.11.0, phase managers): the typical two-site snapshot, the large
//! estate (2 sites x 25 meshes x 8 appliances) and a 4,000-appliance estate (the large
//! one with 80 appliances per mesh), so that the cost per appliance can be read off.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use hcx_preflight::check::LoadedSnapshot;
use hcx_preflight::policy::engine::EnginePath;
use hcx_preflight::plan::{input_document, input_value, parse_time, FailOn, Phase, Plan};
use hcx_preflight::policy::{LoadOptions, PolicySet};
use hcx_preflight::snapshot::Snapshot;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/snapshots").join(name)
}

/// Median time of `f` over enough runs to fill about `budget` (at least 5 runs).
fn median(budget: Duration, mut f: impl FnMut()) -> (Duration, usize) {
    f(); // warm-up
    let start = Instant::now();
    let mut samples = Vec::new();
    while start.elapsed() < budget || samples.len() < 5 {
        let t = Instant::now();
        f();
        samples.push(t.elapsed());
    }
    samples.sort();
    (samples[samples.len() / 2], samples.len())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn appliances(s: &Snapshot) -> usize {
    s.sites
        .iter()
        .flat_map(|s| s.service_meshes.iter().flatten())
        .map(|m| m.appliances.as_ref().map_or(0, |a| a.len()))
        .sum()
}

/// The large estate with `per_mesh` appliances in each mesh (copies with their own ids).
fn estate(per_mesh: usize) -> Snapshot {
    let path = fixture("large-estate.json");
    let mut doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).expect("fixture")).expect("json");
    for site in doc["sites"].as_array_mut().expect("sites") {
        for mesh in site["service_meshes"].as_array_mut().expect("meshes") {
            let base = mesh["appliances"].as_array().expect("appliances").clone();
            let copies = (0..per_mesh)
                .map(|i| {
                    let mut a = base[i % base.len()].clone();
                    for key in ["id", "name"] {
                        a[key] = format!("{}-{i}", a[key].as_str().expect("string")).into();
                    }
                    a
                })
                .collect();
            mesh["appliances"] = serde_json::Value::Array(copies);
        }
    }
    Snapshot::from_slice(&serde_json::to_vec(&doc).expect("json"), &path).expect("estate")
}

/// Peak resident memory in MiB of this process.
fn peak_mib_self() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a whole rusage into the pointer it is given.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    usage.ru_maxrss as f64 / 1024.0 // kilobytes on Linux
}

/// Peak resident memory in MiB of one run of `cmd` (its own, read by wait4 on its pid:
/// the OPA driver, a child of this process too, does not count).
fn peak_mib_of(cmd: &mut Command) -> f64 {
    let child = cmd.stdout(std::process::Stdio::null()).spawn().expect("spawn");
    let mut status = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: the pid is our child's, not yet waited for; wait4 fills the status and a
    // whole rusage.
    let usage = unsafe {
        libc::wait4(child.id() as libc::pid_t, &mut status, 0, usage.as_mut_ptr());
        usage.assume_init()
    };
    usage.ru_maxrss as f64 / 1024.0
}

struct Input {
    name: &'static str,
    snapshot: Snapshot,
}

/// OPA's median time (Go side) on the exported bundle and the dumped input, if installed.
fn opa_ms(bundle: &Path, input: &Path, runs: usize) -> Result<f64, String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let python = root.join("target/opa-venv/bin/python");
    if !python.exists() {
        return Err("OPA is not installed: run .ci/install-opa.sh (installs the OPA engine into target/opa-venv)".into());
    }
    let out = Command::new(python)
        .arg(root.join("tests/opa/driver.py"))
        .arg("time")
        .arg(bundle)
        .arg("data.hcx.preflight.report")
        .arg(input)
        .arg(runs.to_string())
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("the OPA driver failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    v["median_ms"].as_f64().ok_or_else(|| "no median in the driver's answer".into())
}

fn main() {
    // With RUST_BACKTRACE set, anyhow captures a backtrace for every error regorus makes
    // and discards while it loads and evaluates (a few percent of the time here, more
    // in a whole process); users do not run with it, so neither do these figures.
    std::env::remove_var("RUST_BACKTRACE");
    std::env::remove_var("RUST_LIB_BACKTRACE");
    // A child's peak memory counts its parent's at the fork (Linux keeps the high-water
    // mark across fork and exec), so the `check` processes are measured first, while this
    // benchmark is small.
    let check_peak = |snapshot: &Path| {
        peak_mib_of(
            Command::new(env!("CARGO_BIN_EXE_hcx-preflight"))
                .args(["check", "--snapshot"])
                .arg(snapshot)
                .args(["--target", "4.11.0", "--now", "2026-11-29T09:05:00Z", "--format", "json"]),
        )
    };
    let floor = peak_mib_self();
    let check_peaks = (check_peak(&fixture("two-site-healthy.json")), check_peak(&fixture("large-estate.json")), floor);
    // `cargo bench` passes --bench; under `cargo test --all-targets` one quick pass.
    let full = std::env::args().any(|a| a == "--bench");
    let budget = |secs: u64| if full { Duration::from_secs(secs) } else { Duration::ZERO };
    let plan = Plan {
        target_version: "4.11.0".parse().expect("version"),
        phase: Phase::Managers,
        evaluated_at: parse_time("2026-11-29T09:05:00Z").expect("time"),
        fail_on: FailOn::Deny,
    };
    let (load, _) = median(budget(2), || {
        PolicySet::builtin().expect("compile");
    });
    // The same set compiled at run time, as a set with an organisation directory is.
    let empty = tempfile::tempdir().expect("tempdir");
    let at_run_time = LoadOptions {
        policy_dirs: vec![empty.path().to_path_buf()],
        ..Default::default()
    };
    let (load_compiling, _) = median(budget(2), || {
        PolicySet::load(&at_run_time).expect("compile");
    });
    let policies = PolicySet::builtin().expect("compile");
    println!(
        "policy set load (once per process): {:.3} ms with the program compiled at build time ({}), {:.3} ms parsing and compiling at run time; engine path {}",
        ms(load),
        if policies.compiled_at_build_time() { "used" } else { "NOT used" },
        ms(load_compiling),
        policies.engine_path().as_str()
    );

    let inputs = [
        Input {
            name: "typical",
            snapshot: LoadedSnapshot::from_file(&fixture("two-site-healthy.json")).expect("fixture").snapshot,
        },
        Input {
            name: "large",
            snapshot: LoadedSnapshot::from_file(&fixture("large-estate.json")).expect("fixture").snapshot,
        },
        Input {
            name: "4k",
            snapshot: estate(80),
        },
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = dir.path().join("bundle");
    policies.export(&bundle).expect("export");

    println!(
        "\n{:<9} {:>10} {:>12} {:>12} {:>14} {:>10} {:>10} {:>12}",
        "input", "appliances", "rvm ms", "interp ms", "judge+conv ms", "opa ms", "opa/rvm", "rvm/interp"
    );
    let mut rows = Vec::new();
    for input in &inputs {
        let n = appliances(&input.snapshot);
        let value = input_value(&input.snapshot, &plan).expect("input");
        // The paths must agree before their times mean anything.
        let by_rvm = policies.evaluate_raw(EnginePath::Rvm, value.clone()).expect("rvm");
        let by_interpreter = policies.evaluate_raw(EnginePath::Interpreter, value.clone()).expect("interpreter");
        if by_rvm != by_interpreter {
            println!("  {}: the RVM and the interpreter DISAGREE on this input (times below are not comparable)", input.name);
        }
        let secs = if input.name == "typical" { 3 } else { 2 };
        let (rvm, _) = median(budget(secs), || {
            policies.evaluate_raw(EnginePath::Rvm, value.clone()).expect("rvm");
        });
        let (interp, _) = median(budget(secs), || {
            policies.evaluate_raw(EnginePath::Interpreter, value.clone()).expect("interpreter");
        });
        // What `check` pays per evaluation: input conversion, evaluation, findings.
        let loaded = LoadedSnapshot::from_snapshot(input.snapshot.clone());
        let (judge, _) = median(budget(secs), || {
            hcx_preflight::check::judge(&loaded, &plan, &policies).expect("judge");
        });
        let input_file = dir.path().join(format!("{}.json", input.name));
        std::fs::write(&input_file, serde_json::to_vec(&input_document(&input.snapshot, &plan)).expect("json")).expect("write");
        let runs = if !full { 1 } else if n > 1000 { 30 } else { 300 };
        let opa = opa_ms(&bundle, &input_file, runs);
        let (opa_col, ratio) = match &opa {
            Ok(o) => (format!("{o:.3}"), format!("{:.1}x", o / ms(rvm))),
            Err(_) => ("-".into(), "-".into()),
        };
        println!(
            "{:<9} {:>10} {:>12.3} {:>12.3} {:>14.3} {:>10} {:>10} {:>11.1}x",
            input.name,
            n,
            ms(rvm),
            ms(interp),
            ms(judge),
            opa_col,
            ratio,
            ms(interp) / ms(rvm)
        );
        if let Err(why) = opa {
            if input.name == "typical" {
                println!("  OPA: {why}");
            }
        }
        rows.push((n, rvm, interp));
    }
    let (n0, r0, i0) = rows[0];
    for &(n, r, i) in &rows[1..] {
        let extra = (n - n0) as f64;
        println!(
            "cost per appliance, typical -> {n} appliances: rvm {:.2} us, interpreter {:.2} us",
            (ms(r) - ms(r0)) * 1e3 / extra,
            (ms(i) - ms(i0)) * 1e3 / extra
        );
    }

    let bin = env!("CARGO_BIN_EXE_hcx-preflight");
    let snap = fixture("two-site-healthy.json");
    let (t_version, _) = median(budget(2), || {
        let out = Command::new(bin).arg("--version").output().expect("run hcx-preflight");
        assert!(out.status.success());
    });
    let (t_proc, n_proc) = median(budget(3), || {
        let out = Command::new(bin)
            .args(["check", "--snapshot"])
            .arg(&snap)
            .args(["--target", "4.11.0", "--now", "2026-11-29T09:05:00Z", "--format", "json"])
            .output()
            .expect("run hcx-preflight");
        assert_eq!(out.status.code(), Some(0));
    });
    println!("\nwhole `check` process (typical), median: {:.3} ms ({n_proc} runs)", ms(t_proc));
    println!("whole `--version` process, median:       {:.3} ms", ms(t_version));
    println!(
        "peak memory: `check` process {:.1} MiB (typical), {:.1} MiB (large estate) (floor: this benchmark's {:.1} MiB when they ran); this benchmark {:.1} MiB",
        check_peaks.0,
        check_peaks.1,
        check_peaks.2,
        peak_mib_self()
    );
}
