//! `hcx-sim`: run the simulated HCX Manager(s) of a scenario on 127.0.0.1 until Ctrl-C,
//! for trying `hcx-preflight collect` without an HCX installation. Prints each site's
//! URLs, where the CA certificate was written, the matching environment and command.
//! Test scaffolding only: it listens on loopback and holds no real data.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use hcx_preflight::collect::env_site_name;
use hcx_preflight::simulator::{Shapes, SimOptions, Simulator};

/// Simulated HCX Managers on 127.0.0.1 (both APIs, TLS with a generated CA).
#[derive(Parser)]
#[command(name = "hcx-sim", version)]
struct Args {
    /// Scenario file, e.g. fixtures/sim/two-site.json.
    #[arg(long, value_name = "FILE")]
    scenario: PathBuf,
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

fn main() -> ExitCode {
    let args = Args::parse();
    let scenario = match Simulator::load_scenario(&args.scenario) {
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
