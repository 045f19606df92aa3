//! One test per fault the simulator injects: each ends either in a snapshot where that
//! fact is `null` (with an `errors` entry naming the endpoint) or in a clear error; never
//! in a panic, a guess, or a healthy value. Every collecting test runs once per family of
//! answer shapes (`shapes`: client code, vendor reference).

use hcx_preflight::collect::CollectError;
use hcx_sim::{CertMode, Fault, Shapes, Simulator};
use hcx_preflight::snapshot::{Snapshot, Status};
use rstest::rstest;

use super::collect::{errors_for, healthy_anywhere, scenario, scenario_in, start, Run};

/// The two-site scenario with one fault on the source site.
fn with_fault(shapes: Shapes, fault: serde_json::Value) -> Run {
    let mut s = scenario_in("two-site", shapes);
    let fault: Fault = serde_json::from_value(fault).expect("fault");
    s.sites[0].faults.push(fault);
    start(s)
}

/// Requests the source site received for a path.
fn source_requests(run: &Run, path: &str) -> u64 {
    run.sim.site("source").map_or(0, |s| s.requests(path))
}

fn collect_fast(run: &Run) -> Snapshot {
    let mut args = run.args();
    args.retries = 1;
    run.collect(&args).expect("a single fact's fault is not an error")
}

/// Collect with one fault on the source site; the snapshot must carry an error entry for
/// `fact` that names `endpoint` and says `what`.
fn failing(shapes: Shapes, fault: serde_json::Value, fact: &str, endpoint: &str, what: &str) -> (Run, Snapshot) {
    let run = with_fault(shapes, fault);
    let snap = collect_fast(&run);
    assert_fact_error(&snap, fact, endpoint, what);
    (run, snap)
}

fn assert_fact_error(snap: &Snapshot, fact: &str, endpoint: &str, what: &str) {
    let msgs = errors_for(snap, "source", fact);
    assert!(
        msgs.iter().any(|m| m.contains(endpoint) && m.contains(what)),
        "no `{fact}` error naming `{endpoint}` and `{what}` in {:#?}",
        snap.errors
    );
}

#[rstest]
fn timeout_leaves_the_fact_null(#[values(Shapes::ClientCode, Shapes::Reference)] shapes: Shapes) {
    let run = with_fault(shapes, serde_json::json!({"path": "/hybridity/api/cloudConfigs", "kind": "delay", "ms": 2500}));
    let mut args = run.args();
    args.timeout = 1;
    args.retries = 1;
    let snap = run.collect(&args).expect("collects");
    assert_eq!(snap.sites[0].site_pairs, None);
    assert_fact_error(&snap, "site_pairs", "GET /hybridity/api/cloudConfigs", "timeout");
    assert_eq!(source_requests(&run, "/hybridity/api/cloudConfigs"), 2);
}

#[rstest]
fn dropped_connection_is_retried_then_null(#[values(Shapes::ClientCode, Shapes::Reference)] shapes: Shapes) {
    let (run, snap) = failing(
        shapes,
        serde_json::json!({"path": "/hybridity/api/interconnect/serviceMesh", "kind": "drop_connection"}),
        "service_meshes",
        "GET /hybridity/api/interconnect/serviceMesh",
        "connection",
    );
    assert_eq!(snap.sites[0].service_meshes, None);
    assert_eq!(source_requests(&run, "/hybridity/api/interconnect/serviceMesh"), 2);
}

#[rstest]
fn dropped_connection_once_recovers(#[values(Shapes::ClientCode, Shapes::Reference)] shapes: Shapes) {
    let run = with_fault(
        shapes,
        serde_json::json!({"path": "/hybridity/api/interconnect/serviceMesh", "kind": "drop_connection", "times": 1}),
    );
    let snap = collect_fast(&run);
    assert_eq!(snap.sites[0].service_meshes.as_ref().map(Vec::len), Some(1));
}

#[rstest]
fn status_401_on_a_data_call_leaves_the_fact_null(#[values(Shapes::ClientCode, Shapes::Reference)] shapes: Shapes) {
    let (_run, snap) = failing(
        shapes,
        serde_json::json!({"path": "/hybridity/api/cloudConfigs", "kind": "status", "status": 401}),
        "site_pairs",
        "GET /hybridity/api/cloudConfigs",
        "HTTP 401",
    );
    assert_eq!(snap.sites[0].site_pairs, None);
}

#[rstest]
fn status_401_on_login_is_a_credentials_error(#[values(Shapes::ClientCode, Shapes::Reference)] shapes: Shapes) {
    let run = with_fault(shapes, serde_json::json!({"path": "/hybridity/api/sessions", "kind": "status", "status": 401}));
    let err = run.collect(&run.args()).expect_err("must fail");
    assert!(
        matches!(err, CollectError::CredentialsRejected { ref site, .. } if site == "source"),
        "{err:?}"
    );
    assert!(err.to_string().contains("check HCX_USERNAME/HCX_PASSWORD"), "{err}");
}

#[rstest]
fn status_401_on_the_9x_session_path_of_a_4x_manager_falls_back_to_basic(#[values(Shapes::ClientCode, Shapes::Reference)] shapes: Shapes) {
    let run = with_fault(
        shapes,
        serde_json::json!({"port": "admin", "path": "/api/admin/v1/sessions", "kind": "status", "status": 401}),
    );
    let snap = collect_fast(&run);
    assert!(
        snap.sites[0].connections.as_ref().is_some_and(|c| c.len() == 3),
        "{:#?}",
        snap.errors
    );
    // One Basic probe, one read.
    assert_eq!(source_requests(&run, "/components/appengine/status"), 2);
}

#[rstest]
fn status_403_on_a_connection_config_makes_it_unknown(#[values(Shapes::ClientCode, Shapes::Reference)] shapes: Shapes) {
    let (_run, snap) = failing(
        shapes,
        serde_json::json!({"port": "admin", "path": "/api/admin/global/config/nsx", "kind": "status", "status": 403}),
        "connections.nsx",
        "GET /api/admin/global/config/nsx",
        "HTTP 403",
    );
    let nsx = snap.sites[0]
        .connections
        .as_ref()
        .and_then(|c| {
            c.iter()
                .find(|c| c.kind == hcx_preflight::snapshot::ConnectionKind::Nsx)
        })
        .expect("nsx stays listed, as unknown")
        .clone();
    assert_eq!((nsx.status, nsx.url), (Some(Status::Unknown), None));
}

#[rstest]
fn status_404_on_an_optional_endpoint_leaves_the_fact_null(#[values(Shapes::ClientCode, Shapes::Reference)] shapes: Shapes) {
    let (_run, snap) = failing(
        shapes,
        serde_json::json!({"path": "/hybridity/api/migrations", "kind": "status", "status": 404}),
        "operations.active_migrations",
        "POST /hybridity/api/migrations",
        "HTTP 404",
    );
    let ops = snap.sites[0].operations.as_ref().expect("operations");
    assert_eq!((ops.active_migrations, ops.active_replications), (None, Some(1)));
}

#[rstest]
fn status_500_is_retried_then_null(#[values(Shapes::ClientCode, Shapes::Reference)] shapes: Shapes) {
    let (run, snap) = failing(
        shapes,
        serde_json::json!({"path": "/hybridity/api/metainfo/context/support", "kind": "status", "status": 500}),
        "manager.version",
        "GET /hybridity/api/metainfo/context/support",
        "HTTP 500 (after retries)",
    );
    assert_eq!(snap.sites[0].manager.version, None);
    assert_eq!(source_requests(&run, "/hybridity/api/metainfo/context/support"), 2);
}

#[rstest]
fn status_503_twice_recovers_with_retries(#[values(Shapes::ClientCode, Shapes::Reference)] shapes: Shapes) {
    let run = with_fault(
        shapes,
        serde_json::json!({"path": "/hybridity/api/cloudConfigs", "kind": "status", "status": 503, "times": 2}),
    );
    let mut args = run.args();
    args.retries = 3;
    let snap = run.collect(&args).expect("collects");
    assert_eq!(snap.sites[0].site_pairs.as_ref().map(Vec::len), Some(1));
    assert!(errors_for(&snap, "source", "site_pairs")
        .iter()
        .all(|m| !m.contains("HTTP")));
    assert_eq!(source_requests(&run, "/hybridity/api/cloudConfigs"), 3);
}

#[rstest]
fn malformed_json_leaves_the_fact_null(#[values(Shapes::ClientCode, Shapes::Reference)] shapes: Shapes) {
    let (_run, snap) = failing(
        shapes,
        serde_json::json!({"path": "/hybridity/api/interconnect/serviceMesh", "kind": "malformed_json"}),
        "service_meshes",
        "GET /hybridity/api/interconnect/serviceMesh",
        "not valid JSON",
    );
    assert_eq!(snap.sites[0].service_meshes, None);
}

#[rstest]
fn wrong_envelope_leaves_the_fact_null(#[values(Shapes::ClientCode, Shapes::Reference)] shapes: Shapes) {
    let (_run, snap) = failing(
        shapes,
        serde_json::json!({"path": "/hybridity/api/cloudConfigs", "kind": "wrong_envelope"}),
        "site_pairs",
        "GET /hybridity/api/cloudConfigs",
        "unexpected answer",
    );
    assert_eq!(snap.sites[0].site_pairs, None);
}

#[rstest]
fn wrong_envelope_on_a_status_source_is_never_healthy(#[values(Shapes::ClientCode, Shapes::Reference)] shapes: Shapes) {
    let mut s = scenario_in("two-site", shapes);
    for site in &mut s.sites {
        for path in [
            "/api/admin/global/config/vcenter",
            "/api/admin/global/config/lookupservice",
            "/hybridity/api/interconnect/serviceMesh",
        ] {
            site.faults.push(
                serde_json::from_value(serde_json::json!({"path": path, "kind": "wrong_envelope"})).expect("fault"),
            );
        }
        site.faults.push(
            serde_json::from_value(serde_json::json!({"path": "/components/appengine/status", "kind": "empty_body"}))
                .expect("fault"),
        );
    }
    let run = start(s);
    let snap = run.collect(&run.args()).expect("collects");
    let v = serde_json::to_value(&snap).expect("json");
    assert!(!healthy_anywhere(&v["sites"]), "{}", snap.to_json_pretty());
}

#[rstest]
fn empty_body_leaves_the_fact_null(#[values(Shapes::ClientCode, Shapes::Reference)] shapes: Shapes) {
    let (_run, snap) = failing(
        shapes,
        serde_json::json!({"path": "/hybridity/api/replications", "kind": "empty_body"}),
        "operations.active_replications",
        "POST /hybridity/api/replications",
        "empty",
    );
    assert_eq!(
        snap.sites[0].operations.as_ref().and_then(|o| o.active_replications),
        None
    );
}

#[rstest]
fn huge_body_is_refused_and_the_fact_null(#[values(Shapes::ClientCode, Shapes::Reference)] shapes: Shapes) {
    let (_run, snap) = failing(
        shapes,
        // Both the per-mesh query and the full list (the fallback) answer too much.
        serde_json::json!({"path": "/hybridity/api/interconnect/appliances*", "kind": "huge_body"}),
        "service_meshes.mesh-east.appliances",
        "POST /hybridity/api/interconnect/appliances/query",
        "larger than 16 MiB",
    );
    let mesh = &snap.sites[0].service_meshes.as_ref().expect("meshes")[0];
    assert_eq!(mesh.appliances, None);
}

#[rstest]
fn sso_not_ready_is_retried_until_ready(#[values(Shapes::ClientCode, Shapes::Reference)] shapes: Shapes) {
    let run = with_fault(shapes, serde_json::json!({"path": "/hybridity/api/sessions", "kind": "sso_not_ready", "times": 2}));
    let mut args = run.args();
    args.retries = 3;
    run.collect(&args).expect("collects once SSO is ready");
    assert_eq!(source_requests(&run, "/hybridity/api/sessions"), 3);
}

#[rstest]
fn sso_never_ready_is_a_clear_error(#[values(Shapes::ClientCode, Shapes::Reference)] shapes: Shapes) {
    let run = with_fault(shapes, serde_json::json!({"path": "/hybridity/api/sessions", "kind": "sso_not_ready"}));
    let err = collect_fast_err(&run);
    assert!(err.contains("site source") && err.contains("SSO is not ready"), "{err}");
}

fn collect_fast_err(run: &Run) -> String {
    let mut args = run.args();
    args.retries = 1;
    run.collect(&args).expect_err("must fail").to_string()
}

fn with_certificate(shapes: Shapes, mode: CertMode) -> Run {
    let mut s = scenario_in("two-site", shapes);
    s.sites[1].certificate = mode;
    start(s)
}

#[rstest]
fn expired_certificate_is_a_clear_error(#[values(Shapes::ClientCode, Shapes::Reference)] shapes: Shapes) {
    let run = with_certificate(shapes, CertMode::Expired);
    let err = collect_fast_err(&run);
    assert!(
        err.contains("site cloud-east") && err.contains("expired") && err.contains("--insecure"),
        "{err}"
    );
}

#[rstest]
fn certificate_for_another_host_is_a_clear_error(#[values(Shapes::ClientCode, Shapes::Reference)] shapes: Shapes) {
    let run = with_certificate(shapes, CertMode::WrongHost);
    let err = collect_fast_err(&run);
    assert!(
        err.contains("site cloud-east") && err.contains("not valid for this host name"),
        "{err}"
    );
}

#[rstest]
fn server_latency_is_applied_per_request(#[values(Shapes::ClientCode, Shapes::Reference)] shapes: Shapes) {
    let s = scenario_in("two-site", shapes);
    let env = super::collect::env_for(&s);
    let sim = Simulator::start(s, hcx_sim::SimOptions { latency_ms: Some(200) }).expect("starts");
    let dir = tempfile::tempdir().expect("dir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, sim.ca_pem()).expect("ca");
    let run = Run { sim, env, dir, ca };
    let started = std::time::Instant::now();
    run.collect(&run.args()).expect("collects");
    let took = started.elapsed();
    // Three dependent requests per API at least; far less than one after the other.
    assert!(took >= std::time::Duration::from_millis(600), "{took:?}");
    assert!(
        took < std::time::Duration::from_millis(200) * (run.sim.total_requests() as u32) / 2,
        "{took:?}"
    );
}

/// A client of the simulated 9.x System Upgrade API.
struct Upgrader {
    client: reqwest::Client,
    base: String,
    password: &'static str,
}

impl Upgrader {
    fn new(run: &Run, site: &str, password: &'static str) -> Self {
        let ca = reqwest::Certificate::from_pem(run.sim.ca_pem().as_bytes()).expect("ca");
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .add_root_certificate(ca)
            .build()
            .expect("client");
        let base = run.sim.site(site).expect("site").admin_url.clone();
        Self { client, base, password }
    }

    /// The status answer, or `None` when the manager does not answer (rebooting).
    async fn status(&self) -> Option<(u16, serde_json::Value)> {
        let r = self
            .client
            .get(format!("{}{}", self.base, upgrade_api::STATUS))
            .basic_auth("admin", Some(self.password))
            .send()
            .await
            .ok()?;
        let code = r.status().as_u16();
        Some((code, r.json().await.unwrap_or_default()))
    }

    async fn start(&self, target: &str) -> u16 {
        let body = serde_json::json!({"targetVersion": target, "upgradePolicy":
            {"skipVmSnapshot": false, "skipUpgradeValidation": false, "skipConfigBackup": false}});
        let url = format!("{}{}", self.base, upgrade_api::START);
        let r = self
            .client
            .post(url)
            .basic_auth("admin", Some(self.password))
            .json(&body)
            .send()
            .await;
        r.expect("answers").status().as_u16()
    }
}

use hcx_preflight::api::inferred::upgrade_api;

fn sleep_ms(ms: u64) -> tokio::time::Sleep {
    tokio::time::sleep(std::time::Duration::from_millis(ms))
}

/// The 9.x System Upgrade of the simulator: start, IN_PROGRESS, reboot (connections
/// refused), back on the target version.
#[test]
fn simulated_upgrade_reboots_and_returns_on_the_target_version() {
    let run = start(scenario("nine-x"));
    let up = Upgrader::new(&run, "mgr9", "nine-admin-password");
    let rt = tokio::runtime::Runtime::new().expect("rt");
    rt.block_on(async {
        assert_eq!(up.status().await.expect("answers").1["status"], "NOT_STARTED");
        let anon = up
            .client
            .get(format!("{}{}", up.base, upgrade_api::STATUS))
            .send()
            .await
            .expect("answers");
        assert_eq!(anon.status().as_u16(), 401, "no credentials, no answer");
        assert_eq!(up.start("9.1.1.0").await, 202);
        assert_eq!(up.status().await.expect("answers").1["status"], "IN_PROGRESS");
        // In progress for 300 ms, then a reboot of 1500 ms (nine-x.json).
        sleep_ms(600).await;
        assert!(up.status().await.is_none(), "refuses connections while rebooting");
        sleep_ms(1600).await;
        let (_, after) = up.status().await.expect("back");
        assert_eq!(
            (after["status"].as_str(), after["currentVersion"].as_str()),
            (Some("SUCCESS"), Some("9.1.1.0"))
        );
    });
    let site = run.sim.site("mgr9").expect("site");
    assert_eq!(site.requests(upgrade_api::START), 1);
    assert_eq!(site.current_version(), "9.1.1.0");
}

#[test]
fn simulated_upgrade_can_fail_or_never_return_and_4x_has_no_such_api() {
    let mut failing = scenario("nine-x");
    failing.sites[0].upgrade.outcome = hcx_sim::scenario::UpgradeOutcome::Failed;
    let failing = start(failing);
    let mut lost = scenario("nine-x");
    lost.sites[0].upgrade.outcome = hcx_sim::scenario::UpgradeOutcome::NeverReturns;
    let lost = start(lost);
    let four = start(scenario("two-site"));
    let rt = tokio::runtime::Runtime::new().expect("rt");
    rt.block_on(async {
        let f = Upgrader::new(&failing, "mgr9", "nine-admin-password");
        let l = Upgrader::new(&lost, "mgr9", "nine-admin-password");
        assert_eq!((f.start("9.1.1.0").await, l.start("9.1.1.0").await), (202, 202));
        sleep_ms(1800).await;
        let (_, failed) = f.status().await.expect("a failed upgrade does not reboot");
        assert_eq!(failed["status"], "FAILED");
        assert_eq!(failed["subTasks"][0]["status"], "FAILED");
        assert_eq!(failed["currentVersion"], "9.0.0.0");
        assert!(l.status().await.is_none(), "never comes back");
        let (code, _) = Upgrader::new(&four, "source", "source-admin-password")
            .status()
            .await
            .expect("answers");
        assert_eq!(code, 404);
    });
}

#[rstest]
fn appliance_query_refused_falls_back_to_the_full_list(#[values(Shapes::ClientCode, Shapes::Reference)] shapes: Shapes) {
    let run = with_fault(shapes, serde_json::json!({"path": "/hybridity/api/interconnect/appliances/query", "kind": "status", "status": 404}));
    let snap = collect_fast(&run);
    let meshes = snap.sites[0].service_meshes.as_ref().expect("meshes");
    assert!(meshes.iter().all(|m| m.appliances.as_ref().is_some_and(|a| !a.is_empty())), "{meshes:#?}");
    assert!(source_requests(&run, "/hybridity/api/interconnect/appliances") >= 1);
    assert!(snap.errors.iter().all(|e| !e.fact.ends_with(".appliances")), "{:#?}", snap.errors);
}

#[rstest]
fn appliance_query_and_full_list_refused_leave_the_appliances_null(#[values(Shapes::ClientCode, Shapes::Reference)] shapes: Shapes) {
    let mut s = scenario_in("two-site", shapes);
    for path in ["/hybridity/api/interconnect/appliances/query", "/hybridity/api/interconnect/appliances"] {
        s.sites[0].faults.push(serde_json::from_value(serde_json::json!({"path": path, "kind": "status", "status": 404})).expect("fault"));
    }
    let run = start(s);
    let snap = collect_fast(&run);
    let meshes = snap.sites[0].service_meshes.as_ref().expect("meshes");
    assert!(meshes.iter().all(|m| m.appliances.is_none()));
    let msgs: Vec<&str> = snap.errors.iter().filter(|e| e.fact.ends_with(".appliances")).map(|e| e.message.as_str()).collect();
    assert!(msgs.iter().any(|m| m.contains("POST /hybridity/api/interconnect/appliances/query: HTTP 404")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("GET /hybridity/api/interconnect/appliances: HTTP 404")), "{msgs:?}");
}
