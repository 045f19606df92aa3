//! The Service Mesh phase end to end, against a simulated 9.x site pair: the managers'
//! upgrade ends by telling the operator to update the mesh from the SOURCE site and
//! printing a mesh-verify command; that command, run as printed, denies while the
//! appliances lag, still denies when the mesh update leaves one appliance behind (naming
//! it), and allows once every appliance has converged to its manager's version.

use std::process::Output;

use assert_cmd::Command;
use hcx_sim::mesh_update::MeshUpdateError;

use super::collect::{scenario, start, Run};

const TARGET: &str = "9.1.1.0";

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// Facts no API gives, stated in an attestations file as an operator keeps one.
fn write_attestations(run: &Run) -> std::path::PathBuf {
    let backup = (chrono::Utc::now() - chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut text = String::new();
    for site in ["mgr9", "cloud9"] {
        text.push_str(&format!(
            "[[attestation]]\nsite = \"{site}\"\nfact = \"backup.last_success_at\"\nvalue = \"{backup}\"\nevidence = \"backup job 4711\"\n\n\
             [[attestation]]\nsite = \"{site}\"\nfact = \"manager.disk_common_used_percent\"\nvalue = 40\nevidence = \"df -h /common\"\n\n"
        ));
    }
    text.push_str("[[attestation]]\nsite = \"mgr9\"\nfact = \"site_pairs.cloud9.status\"\nvalue = \"healthy\"\nevidence = \"Site Pairing page shows connected\"\n");
    // No API tells about Cloud Director and RabbitMQ: the cloud side states them.
    for kind in ["cloud_director", "rmq"] {
        text.push_str(&format!(
            "\n[[attestation]]\nsite = \"cloud9\"\nfact = \"connections.{kind}.status\"\nvalue = \"not_in_use\"\nevidence = \"no Cloud Director in this cloud\"\n"
        ));
    }
    let path = run.dir.path().join("attestations.toml");
    std::fs::write(&path, text).expect("write attestations");
    path
}

fn hcx(run: &Run, args: &[String]) -> Output {
    let mut c = Command::cargo_bin("hcx-preflight").expect("binary");
    c.current_dir(run.dir.path()).env("NO_COLOR", "1");
    for (k, v) in &run.env {
        c.env(k, v);
    }
    c.args(args).timeout(std::time::Duration::from_secs(120)).output().expect("run")
}

#[test]
fn the_mesh_step_is_printed_gated_and_verified_end_to_end() {
    let run = start(scenario("nine-x-pair"));
    let attestations = write_attestations(&run);
    let mut upgrade: Vec<String> = ["upgrade", "--target", TARGET, "--yes", "--parallel", "--poll-interval", "100ms", "--return-timeout", "5s"]
        .map(String::from)
        .to_vec();
    for s in run.sim.sites() {
        upgrade.extend(["--site".into(), s.site_arg()]);
    }
    upgrade.extend(["--ca-cert".into(), run.ca.display().to_string(), "--attestations".into(), attestations.display().to_string()]);
    let o = hcx(&run, &upgrade);
    // The upgrade's own verify counts no attestation made before the upgrade (issue 9): it denies.
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // Attested again after the upgrade, verify passes and prints the mesh step.
    let mut verify: Vec<String> = ["verify", "--target", TARGET].map(String::from).to_vec();
    verify.extend(upgrade.iter().skip_while(|a| *a != "--site").cloned());
    let o = hcx(&run, &verify);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}{}", String::from_utf8_lossy(&o.stdout));
    assert!(err.contains("update the appliances from the SOURCE site's HCX Manager only: mgr9 (hcx-mgr01.corp.local)"), "{err}");

    // The printed mesh verify carries every --site (with admin=), the CA and the target.
    let printed = err
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("hcx-preflight verify --phase mesh"))
        .unwrap_or_else(|| panic!("no mesh verify command in:\n{err}"))
        .to_string();
    let words = shlex::split(&printed).expect("the printed command is valid shell");
    for s in run.sim.sites() {
        assert!(words.contains(&s.site_arg()), "{printed} lacks {}", s.site_arg());
    }
    for w in ["--ca-cert", "--target", TARGET, "--attestations"] {
        assert!(words.iter().any(|x| x == w), "{printed} lacks {w}");
    }
    let verify_mesh = || hcx(&run, &words[1..]);

    // Before the mesh update: every appliance lags its manager.
    let o = verify_mesh();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).contains("appliance-version-lag"), "{}", stdout(&o));

    // The mesh gate allows, with the mesh advisories, and says where to update from.
    let gate = err
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("hcx-preflight upgrade --phase service-mesh"))
        .expect("a mesh gate command");
    let o = hcx(&run, &shlex::split(gate).expect("shell words")[1..]);
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    for id in ["active-operations", "ne-ha-failover-upgrade"] {
        assert!(out.contains(id), "{id} missing from:\n{out}");
    }
    assert!(stderr(&o).contains("hcx-preflight verify --phase mesh"), "{}", stderr(&o));

    // The update starts only from the source site; the first one leaves cloud9's NE behind.
    assert_eq!(run.sim.update_service_mesh("cloud9"), Err(MeshUpdateError::NotSource("cloud9".into())));
    let updated = run.sim.update_service_mesh("mgr9").expect("update from the source");
    assert_eq!(updated.len(), 3, "{updated:?}");
    let mut as_json = words[1..].to_vec();
    as_json.extend(["--format".into(), "json".into()]);
    let o = hcx(&run, &as_json);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("appliance mesh9/mesh9-NE-R1 is on 9.0.0.0, its manager hcx-cloud9.example on 9.1.1.0"), "{out}");
    assert!(!out.contains("mesh9-IX-R1 is on"), "{out}");

    // A second update brings it along: the mesh upgrade is complete.
    assert_eq!(run.sim.update_service_mesh("mgr9").expect("second update"), ["mesh9-NE-R1"]);
    let o = verify_mesh();
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("the upgrade to 9.1.1.0 is complete"), "{}", stderr(&o));

    let log = std::fs::read_to_string(run.dir.path().join("hcx-preflight-audit.jsonl")).expect("audit log");
    let phases: Vec<String> = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .map(|e| format!("{} {}", e["phase"].as_str().unwrap_or("-"), e["result"].as_str().unwrap_or("-")))
        .collect();
    assert_eq!(phases.last().map(String::as_str), Some("verify-mesh verified"), "{phases:?}");
    assert!(phases.contains(&"verify-mesh verify-denied".to_string()), "{phases:?}");
}
