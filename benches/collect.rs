//! Collection from the simulator with 50 ms latency per request: 2 sites x 20 meshes x 8
//! appliances. Prints wall time, the number of requests, the sum of all request latencies
//! and the longest chain of dependent requests x 50 ms: the wall time should be close to
//! the chain, far from the sum (requests run concurrently; only dependent ones wait).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use hcx_preflight::collect::{self, CollectOptions, SiteSpec};
use hcx_sim::{scenario::MeshData, SimOptions, Simulator};
use serde_json::json;

const LATENCY_MS: u64 = 50;
const MESHES: usize = 20;
const APPLIANCES: usize = 8;
const RUNS: usize = 3;
/// login -> serviceMesh -> appliances/query (and login -> interconnect -> resourcecontainer).
const LONGEST_CHAIN: u64 = 3;

fn main() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sim/two-site.json");
    let mut scenario = Simulator::load_scenario(&path).expect("scenario");
    let mut env = BTreeMap::new();
    for site in &mut scenario.sites {
        let up = collect::env_site_name(&site.name);
        env.insert(format!("HCX_{up}_USERNAME"), site.credentials.username.clone());
        env.insert(format!("HCX_{up}_PASSWORD"), site.credentials.password.clone());
        env.insert(
            format!("HCX_{up}_ADMIN_PASSWORD"),
            site.credentials.admin_password.clone(),
        );
        site.service_meshes = (0..MESHES)
            .map(|m| {
                let raw = json!({"serviceMeshId": format!("sm-{m}"), "name": format!("mesh-{m:02}"), "state": "COMMITTED",
                    "status": "HEALTHY", "backingApplianceType": "PHOTON", "updateAvailable": false,
                    "services": [{"name": "INTERCONNECT"}]});
                let appliances = (0..APPLIANCES)
                    .map(|a| json!({"applianceId": format!("sm-{m}-a-{a}"), "applianceName": format!("mesh-{m:02}-A{a}"),
                        "applianceType": "HCX-WAN-IX", "applianceVersion": {"major": 4, "minor": 10, "patch": 3},
                        "status": {"summary": {"overallStatus": "HEALTHY"}}, "tunnelStatus": "UP"}))
                    .collect();
                MeshData {
                    raw: raw.as_object().cloned().unwrap_or_default(),
                    appliances,
                }
            })
            .collect();
    }
    let sim = Simulator::start(
        scenario,
        SimOptions {
            latency_ms: Some(LATENCY_MS),
        },
    )
    .expect("simulator");
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, sim.ca_pem()).expect("ca");
    let sites = sim
        .sites()
        .iter()
        .map(|s| SiteSpec::parse(&s.site_arg()).expect("site"))
        .collect();
    let mut args = CollectOptions::new(sites);
    args.ca_cert = vec![ca];
    let rt = tokio::runtime::Runtime::new().expect("runtime");

    let mut walls = Vec::new();
    let mut per_run = 0;
    for _ in 0..RUNS {
        let before = sim.total_requests();
        let started = Instant::now();
        let snap = rt
            .block_on(collect::collect_with(&args, false, &env))
            .expect("collects");
        walls.push(started.elapsed());
        per_run = sim.total_requests() - before;
        let appliances: usize = snap
            .sites
            .iter()
            .flat_map(|s| s.service_meshes.iter().flatten())
            .map(|m| m.appliances.as_ref().map_or(0, Vec::len))
            .sum();
        assert_eq!(appliances, 2 * MESHES * APPLIANCES, "every appliance collected");
    }
    walls.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("collect: 2 sites x {MESHES} meshes x {APPLIANCES} appliances, {LATENCY_MS} ms latency per request, {RUNS} runs");
    println!(
        "wall time:           min {:.0} ms, median {:.0} ms, max {:.0} ms",
        ms(walls[0]),
        ms(walls[RUNS / 2]),
        ms(walls[RUNS - 1])
    );
    println!("requests per run:    {per_run}");
    println!("sum of latencies:    {} ms", per_run * LATENCY_MS);
    println!(
        "longest chain:       {LONGEST_CHAIN} requests x {LATENCY_MS} ms = {} ms",
        LONGEST_CHAIN * LATENCY_MS
    );
}
