//! `upgrade --to` against the simulated HCX Manager, running the real binary: a 4.x
//! route stops at its first hop with the UI procedure (nothing sent), a dry run only
//! prints; a two-hop 9.x route runs hop by hop through the System Upgrade API, stops at
//! each Service Mesh step, refuses the next managers hop while the mesh lags, resumes
//! from the live versions without repeating a hop, and ends complete. The audit log
//! records the route and each hop.


use serde_json::json;

use super::collect::{scenario, start, Run};
use super::upgrade::{audit, cmd_attesting, starts, stderr};

/// The facts no API gives, attested now (after any simulated reboot) for `site`.
fn attest_now(site: &str) -> Vec<String> {
    let backup = (chrono::Utc::now() - chrono::Duration::seconds(2)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    vec![
        format!("{site}.backup.last_success_at={backup};evidence=backup job 4711"),
        format!("{site}.manager.disk_common_used_percent=40;evidence=df -h /common"),
    ]
}

fn results(run: &Run) -> Vec<String> {
    audit(run).iter().map(|e| e["result"].as_str().unwrap_or_default().to_string()).collect()
}

#[test]
fn a_4x_route_stops_at_its_first_hop_with_the_ui_procedure() {
    let mut s = scenario("two-site");
    for site in &mut s.sites {
        site.manager.version = "4.3.2".into();
        for c in &mut site.cloud_configs {
            c["version"] = json!("4.3.2");
        }
        for m in &mut site.service_meshes {
            for a in &mut m.appliances {
                a["applianceVersion"] = json!({"major": 4, "minor": 3, "patch": 2, "build": "1"});
            }
        }
    }
    let run = start(s);
    // The 4.x simulator lacks the facts no API gives; this test is about the route.
    std::fs::write(
        run.dir.path().join("hcx-preflight.toml"),
        "[rules]\ndisabled = [\"fact-missing\", \"interconnect-unhealthy\", \"connection-unknown\", \"site-pair-unhealthy\"]\n",
    )
    .unwrap();

    let o = cmd_attesting(&run, &["upgrade", "--to", "4.9.0", "--dry-run"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("route to 4.9.0: 4.3.2 -> 4.4.2 -> 4.9.0 (2 hops)"), "{out}");
    assert!(stderr(&o).contains("dry run: nothing was sent to HCX; the next step would be hop 1 managers"), "{}", stderr(&o));

    let o = cmd_attesting(&run, &["upgrade", "--to", "4.9.0", "--yes", "--poll-interval", "100ms"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    let source = run.sim.site("source").unwrap().site_arg();
    for want in [
        "hop 1 to 4.4.2 goes through the HCX Manager UI",
        "4.x has no upgrade API, so hcx-preflight does not start it",
        "Administration > System Updates > Check for Updates, then Upgrade to 4.4.2",
        &format!("hcx-preflight verify --target 4.4.2 --site '{source}'"),
        &format!("hcx-preflight upgrade --to 4.9.0 --site '{source}'"),
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
    assert_eq!(starts(&run), 0, "a 4.x hop sends nothing to HCX");
    assert_eq!(results(&run), ["route-dry-run", "route-planned", "ui-required"]);
    assert!(audit(&run).iter().all(|e| e["command"] == "upgrade"));
}

#[test]
fn a_9x_route_runs_hop_by_hop_through_the_api_and_resumes_from_the_live_versions() {
    let mut s = scenario("nine-x");
    s.sites[0].cloud_configs.clear();
    s.sites[0].upgrade.reboot_ms = 500;
    let run = start(s);
    // The organisation's standard: 9.1 targets go through 9.0.1.0 first.
    let org = run.dir.path().join("org/hcx/params");
    std::fs::create_dir_all(&org).unwrap();
    std::fs::write(
        org.join("data.json"),
        r#"{"upgrade_path_table": {"acme-via-9.0.1": {"from_below": "9.0.1.0", "to_at_least": "9.1.0.0", "via": "9.0.1.0", "note": "our standard goes through 9.0.1.0"}}}"#,
    )
    .unwrap();
    let go = |run: &Run| {
        cmd_attesting(
            run,
            &["upgrade", "--to", "9.1.1.0", "--yes", "--poll-interval", "100ms", "--return-timeout", "5s", "--policy-dir", "org"],
            &attest_now("mgr9"),
        )
    };
    let site = run.sim.sites()[0].site_arg();

    // Hop 1 through the API, then the stop at the Service Mesh step.
    let o = go(&run);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("route to 9.1.1.0: 9.0.0.0 -> 9.0.1.0 -> 9.1.1.0 (2 hops)"));
    let err = stderr(&o);
    for want in [
        "hop 1 managers are on 9.0.1.0",
        "no public API starts the Service Mesh upgrade",
        &format!("hcx-preflight verify --phase mesh --target 9.0.1.0 --site '{site}'"),
        &format!("hcx-preflight upgrade --to 9.1.1.0 --site '{site}'"),
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
    assert_eq!(run.sim.sites()[0].current_version(), "9.0.1.0");
    assert_eq!(starts(&run), 1);

    // Run again before the mesh is done: refused, nothing sent.
    let o = go(&run);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("refused: no managers hop while the Service Mesh lags its managers"), "{}", stderr(&o));
    assert!(stderr(&o).contains("mesh9-IX-I1"), "{}", stderr(&o));
    assert_eq!(starts(&run), 1);

    // The operator updates the mesh; the route resumes with hop 2 (hop 1 is not repeated).
    run.sim.update_service_mesh("mgr9").expect("mesh update from the source site");
    let o = go(&run);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("route to 9.1.1.0: 9.0.1.0 -> 9.1.1.0 (1 hop)"));
    assert!(stderr(&o).contains("hop 1 managers are on 9.1.1.0"), "{}", stderr(&o));
    assert_eq!(run.sim.sites()[0].current_version(), "9.1.1.0");
    assert_eq!(starts(&run), 2);

    // Mesh updated again: the route is complete, nothing sent.
    run.sim.update_service_mesh("mgr9").expect("mesh update from the source site");
    let o = go(&run);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("the route is complete"), "{}", stderr(&o));
    assert_eq!(starts(&run), 2);

    let r = results(&run);
    let route_lines = r.iter().filter(|x| *x == "route-planned").count();
    assert_eq!(route_lines, 4, "{r:?}");
    assert_eq!(r.iter().filter(|x| *x == "hop-managers-done").count(), 2, "{r:?}");
    assert!(r.contains(&"refused-mesh-lagging".to_string()), "{r:?}");
}
