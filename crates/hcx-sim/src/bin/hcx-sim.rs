//! `hcx-sim`: run the simulated HCX Manager(s) of a scenario on 127.0.0.1 until Ctrl-C,
//! for trying `hcx-preflight collect` without an HCX installation. Prints each site's
//! URLs, where the CA certificate was written, the matching environment and command.
//! Test scaffolding only: it listens on loopback and holds no real data.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use hcx_preflight::collect::env_site_name;
use hcx_sim::fleet::{FleetSpec, SimFleet};
use hcx_sim::{Shapes, SimOptions, Simulator};

/// Simulated HCX Managers on 127.0.0.1 (both APIs, TLS with a generated CA).
#[derive(Parser)]
#[command(name = "hcx-sim", version)]
struct Args {
    /// Scenario file, e.g. fixtures/sim/two-site.json.
    #[arg(long, value_name = "FILE", required_unless_present = "fleet", conflicts_with = "fleet")]
    scenario: Option<PathBuf>,
    /// Serve a generated fleet of N estates (two sites each) instead of a scenario.
    #[arg(long, value_name = "N", requires = "out_dir")]
    fleet: Option<usize>,
    /// With --fleet: the share of estates with a fault (wrong password, expired certificate, full disk).
    #[arg(long, value_name = "SHARE", default_value_t = 0.2)]
    fault_share: f64,
    /// With --fleet: write the CA certificate, inventory.toml and the attestation files here.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// Latency added to every request, in milliseconds (overrides the scenario).
    #[arg(long, value_name = "N")]
    latency_ms: Option<u64>,
    /// Answer in this family of shapes at every site (overrides the scenario's `shapes`):
    /// `client-code` (public client code) or `reference` (the vendor's API reference).
    #[arg(long, value_enum, value_name = "FAMILY")]
    shapes: Option<Shapes>,
    /// Where to write the CA certificate (PEM); default: a file in the temporary directory.
    #[arg(long, value_name = "FILE")]
    ca_out: Option<PathBuf>,
}

/// `--fleet N`: start the generated fleet, write its files, serve until Ctrl-C.
fn fleet(args: &Args, n: usize, dir: &std::path::Path) -> ExitCode {
    let spec = FleetSpec {
        estates: n,
        fault_share: args.fault_share,
        latency_ms: args.latency_ms.unwrap_or(0),
    };
    let fleet = match SimFleet::start(&spec) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("hcx-sim: {e}");
            return ExitCode::from(2);
        }
    };
    let inventory = match fleet.write(dir) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("hcx-sim: cannot write to {}: {e}", dir.display());
            return ExitCode::from(2);
        }
    };
    for e in &fleet.estates {
        let fault = e.fault.map(|f| format!(" (fault: {f:?})")).unwrap_or_default();
        println!("estate {}: source {} cloud-east {}{fault}", e.name, e.source.0, e.cloud.0);
    }
    println!("\n# The fleet's test credentials:");
    let exports: Vec<String> = fleet.env().iter().map(|(k, v)| format!("{k}='{v}'")).collect();
    println!("export {}", exports.join(" "));
    println!(
        "\n# Then, in another terminal:\nhcx-preflight check --inventory {} --ca-cert {} --target 4.11.0 --format html --output fleet.html",
        inventory.display(),
        dir.join("ca.pem").display()
    );
    eprintln!("hcx-sim: serving {n} estates until Ctrl-C");
    match fleet.sim.wait_for_ctrl_c() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hcx-sim: {e}");
            ExitCode::from(2)
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let (Some(n), Some(dir)) = (args.fleet, &args.out_dir) {
        return fleet(&args, n, dir);
    }
    let Some(path) = &args.scenario else {
        eprintln!("hcx-sim: name a --scenario FILE or a --fleet N");
        return ExitCode::from(2);
    };
    let scenario = match Simulator::load_scenario(path) {
        Ok(s) => match args.shapes {
            Some(shapes) => s.with_shapes(shapes),
            None => s,
        },
        Err(e) => {
            eprintln!("hcx-sim: {e}");
            return ExitCode::from(2);
        }
    };
    let creds: Vec<_> = scenario
        .sites
        .iter()
        .map(|s| (s.name.clone(), s.credentials.clone()))
        .collect();
    let sim = match Simulator::start(
        scenario,
        SimOptions {
            latency_ms: args.latency_ms,
        },
    ) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("hcx-sim: {e}");
            return ExitCode::from(2);
        }
    };
    let ca = args
        .ca_out
        .unwrap_or_else(|| std::env::temp_dir().join(format!("hcx-sim-{}-ca.pem", std::process::id())));
    if let Err(e) = std::fs::write(&ca, sim.ca_pem()) {
        eprintln!("hcx-sim: cannot write the CA certificate to {}: {e}", ca.display());
        return ExitCode::from(2);
    }
    println!("CA certificate: {}", ca.display());
    for site in sim.sites() {
        println!(
            "site {}: HCX Manager API {}  appliance management {}",
            site.name, site.api_url, site.admin_url
        );
    }
    println!("\n# The scenario's test credentials:");
    for (name, c) in &creds {
        let up = env_site_name(name);
        println!(
            "export HCX_{up}_USERNAME='{}' HCX_{up}_PASSWORD='{}'",
            c.username, c.password
        );
        println!(
            "export HCX_{up}_ADMIN_USERNAME='{}' HCX_{up}_ADMIN_PASSWORD='{}'",
            c.admin_username, c.admin_password
        );
    }
    let sites: Vec<String> = sim.sites().iter().map(|s| format!("--site {}", s.site_arg())).collect();
    println!(
        "\n# Then, in another terminal:\nhcx-preflight collect {} --ca-cert {} --out snapshot.json",
        sites.join(" "),
        ca.display()
    );
    eprintln!("hcx-sim: serving until Ctrl-C");
    match sim.wait_for_ctrl_c() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hcx-sim: {e}");
            ExitCode::from(2)
        }
    }
}
