//! The collector against the simulated HCX Manager on loopback: whole snapshots compared
//! with expected files, the 9.x and provider-managed shapes, credentials and TLS errors,
//! attestations, and that no secret leaks. Shared helpers for `sim_faults` live here too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hcx_preflight::collect::{self, CollectOptions, CollectError, SiteSpec};
use hcx_sim::{Scenario, Shapes, SimOptions, Simulator};
use hcx_preflight::snapshot::{Provenance, Snapshot, Status, TunnelStatus};
use rstest::rstest;

/// A running simulator with its CA written to a temporary directory.
pub struct Run {
    pub sim: Simulator,
    pub env: BTreeMap<String, String>,
    pub dir: tempfile::TempDir,
    pub ca: PathBuf,
}

/// A scenario from `fixtures/sim/NAME.json`.
pub fn scenario(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/sim")
        .join(format!("{name}.json"));
    Simulator::load_scenario(&path).expect("fixture scenario loads")
}

/// A scenario whose sites all answer in one family of shapes.
pub fn scenario_in(name: &str, shapes: Shapes) -> Scenario {
    scenario(name).with_shapes(shapes)
}

/// The environment a user would set for these sites (per-site variables).
pub fn env_for(s: &Scenario) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for site in &s.sites {
        let up: String = site
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        let c = &site.credentials;
        env.insert(format!("HCX_{up}_USERNAME"), c.username.clone());
        env.insert(format!("HCX_{up}_PASSWORD"), c.password.clone());
        env.insert(format!("HCX_{up}_ADMIN_USERNAME"), c.admin_username.clone());
        env.insert(format!("HCX_{up}_ADMIN_PASSWORD"), c.admin_password.clone());
    }
    env
}

/// Start a scenario.
pub fn start(s: Scenario) -> Run {
    let env = env_for(&s);
    let sim = Simulator::start(s, SimOptions::default()).expect("simulator starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, sim.ca_pem()).expect("write CA");
    Run { sim, env, dir, ca }
}

impl Run {
    /// Arguments for every site, trusting the simulator's CA, with short timeouts.
    pub fn args(&self) -> CollectOptions {
        let sites = self
            .sim
            .sites()
            .iter()
            .map(|s| SiteSpec::parse(&s.site_arg()).expect("site arg parses"))
            .collect();
        let mut args = CollectOptions::new(sites);
        args.ca_cert = vec![self.ca.clone()];
        args.timeout = 5;
        args.retries = 2;
        args
    }

    /// Collect with this run's environment.
    pub fn collect(&self, args: &CollectOptions) -> Result<Snapshot, CollectError> {
        collect_with_env(args, &self.env)
    }
}

/// Collect on a runtime of its own with the given environment.
pub fn collect_with_env(args: &CollectOptions, env: &BTreeMap<String, String>) -> Result<Snapshot, CollectError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(collect::collect_with(args, false, env))
}

/// The error entries of a site whose fact starts with `fact`.
pub fn errors_for<'a>(s: &'a Snapshot, site: &str, fact: &str) -> Vec<&'a str> {
    s.errors
        .iter()
        .filter(|e| e.site.as_deref() == Some(site) && e.fact.starts_with(fact))
        .map(|e| e.message.as_str())
        .collect()
}

/// Whether anything in the snapshot claims `healthy`.
pub fn healthy_anywhere(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => s == "healthy",
        serde_json::Value::Array(a) => a.iter().any(healthy_anywhere),
        serde_json::Value::Object(o) => o.values().any(healthy_anywhere),
        _ => false,
    }
}

/// The snapshot as written, with the one timestamp fixed.
fn normalized_text(s: &Snapshot) -> String {
    let mut s = s.clone();
    s.collected_at = "2026-11-29T09:00:00Z".parse().expect("time");
    s.to_json_pretty()
}

/// The two-site scenario in both families of answer shapes gives its expected snapshot.
#[rstest]
#[case::client_code(Shapes::ClientCode, "two-site.expected.json")]
#[case::reference(Shapes::Reference, "two-site.reference.expected.json")]
fn two_site_scenario_gives_the_expected_snapshot(#[case] shapes: Shapes, #[case] expected: &str) {
    let run = start(scenario_in("two-site", shapes));
    let snap = run.collect(&run.args()).expect("collects");
    let got = normalized_text(&snap);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sim").join(expected);
    if std::env::var_os("UPDATE_EXPECTED").is_some() {
        std::fs::write(&path, &got).expect("write expected");
    }
    let expected = std::fs::read_to_string(&path).expect("expected file (UPDATE_EXPECTED=1 writes it)");
    assert_eq!(got, expected, "snapshot differs from {}", path.display());
    // The written form is valid for `check`.
    Snapshot::from_slice(snap.to_json_pretty().as_bytes(), Path::new("x.json")).expect("loads back");
    // Per site: one login on 443, one session probe on 9443, one appliance query per mesh.
    let source = run.sim.site("source").expect("site");
    assert_eq!(source.requests("/hybridity/api/sessions"), 1);
    assert_eq!(source.requests("/api/admin/v1/sessions"), 1);
    assert_eq!(source.requests("/hybridity/api/interconnect/appliances/query"), 1);
    // Collected twice, byte-identical apart from the timestamp.
    assert_eq!(normalized_text(&run.collect(&run.args()).expect("collects again")), got);
}

/// Collect the two-site scenario in one family, after `edit` changed its data.
fn two_site_in(shapes: Shapes, edit: impl FnOnce(&mut Scenario)) -> (Run, Snapshot) {
    let mut s = scenario_in("two-site", shapes);
    edit(&mut s);
    let run = start(s);
    let snap = run.collect(&run.args()).expect("collects");
    (run, snap)
}

/// The issue's "done when": every fact of the site pair, answered in the reference's
/// shapes, reads exactly as from the client-code shapes. The only differences are those
/// the reference documents: no peer name, version or build in `cloudConfigs`, each `null`
/// with an `errors` line that says why (and the pair is then named by its endpoint id).
#[test]
fn reference_shapes_give_the_same_snapshot_as_client_code_shapes() {
    let (_c, client) = two_site_in(Shapes::ClientCode, |_| {});
    let (_r, mut reference) = two_site_in(Shapes::Reference, |_| {});
    assert_ne!(normalized_text(&reference), normalized_text(&client), "the families differ on the wire");
    let mut renames = Vec::new();
    for (r, c) in reference.sites.iter_mut().zip(&client.sites) {
        for (rp, cp) in r.site_pairs.iter_mut().flatten().zip(c.site_pairs.iter().flatten()) {
            assert_eq!((&rp.remote_name, &rp.remote_version, &rp.remote_build), (&None, &None, &None));
            let id = rp.endpoint_id.clone().expect("endpoint id");
            rp.remote_name = cp.remote_name.clone();
            rp.remote_version = cp.remote_version.clone();
            rp.remote_build = cp.remote_build.clone();
            renames.push((r.name.clone(), id, cp.remote_name.clone().expect("client-code name")));
        }
    }
    for (site, id, name) in &renames {
        for (fact, key) in [("remote_name", "cloudName"), ("remote_version", "version"), ("remote_build", "buildNumber")] {
            let said = errors_for(&reference, site, &format!("site_pairs.{id}.{fact}"));
            assert!(
                said.iter().any(|m| m.contains(&format!("has no `{key}`")) && m.contains("GET /hybridity/api/cloudConfigs")),
                "{site}: {fact}: {said:?}"
            );
        }
        reference.errors.retain(|e| !(e.site.as_deref() == Some(site) && e.message.contains("the site pair has no `")));
        for e in reference.errors.iter_mut().filter(|e| e.site.as_deref() == Some(site)) {
            let (from, to) = (format!("site_pairs.{id}."), format!("site_pairs.{name}."));
            e.fact = e.fact.replace(&from, &to);
            e.message = e.message.replace(&from, &to);
        }
    }
    assert!(!renames.is_empty(), "the scenario has a site pair");
    reference.normalize();
    assert_eq!(normalized_text(&reference), normalized_text(&client));
}

#[test]
fn nine_x_four_part_version_session_and_dns() {
    let run = start(scenario("nine-x"));
    let snap = run.collect(&run.args()).expect("collects");
    let site = &snap.sites[0];
    assert_eq!(site.manager.version.as_ref().map(|v| v.as_str()), Some("9.0.0.0"));
    assert_eq!(site.manager.build.as_deref(), Some("24597083"));
    assert_eq!(site.manager.fqdn.as_deref(), Some("hcx-mgr01.corp.local"));
    let dns = site.manager.dns.as_ref().expect("dns read on 9.x");
    assert_eq!(dns.domain.as_deref(), Some("corp.local"));
    assert_eq!(
        dns.search_domains.as_deref(),
        Some(&["corp.local".to_string(), "lab.local".to_string()][..])
    );
    assert_eq!(
        dns.servers.as_deref(),
        Some(&["10.0.0.2".to_string(), "10.0.0.3".to_string()][..])
    );
    let appliances = site.service_meshes.as_ref().expect("meshes")[0]
        .appliances
        .as_ref()
        .expect("appliances");
    assert_eq!(appliances[0].version.as_ref().map(|v| v.as_str()), Some("9.0.0.0"));
    // The 9.x session was used: the config calls carried its token, not Basic.
    let sim = run.sim.site("mgr9").expect("site");
    assert_eq!(sim.requests("/api/admin/v1/sessions"), 1);
    assert!(site
        .connections
        .as_ref()
        .expect("connections")
        .iter()
        .any(|c| c.status == Some(Status::Healthy)));
    assert!(errors_for(&snap, "mgr9", "manager.dns").is_empty());
}

#[test]
fn provider_managed_site_without_appliance_management_is_not_an_error() {
    let run = start(scenario("provider-managed"));
    let mut args = run.args();
    args.retries = 1;
    args.attest = vec!["avs.manager.provider=avs;by=ops;evidence=Azure VMware Solution private cloud pc-01".into()];
    let snap = run.collect(&args).expect("collects");
    let site = &snap.sites[0];
    assert_eq!(site.manager.appliance_management_reachable, Some(false));
    assert_eq!(site.connections, None);
    assert_eq!(site.manager.dns, None);
    let why = errors_for(&snap, "avs", "connections");
    assert!(
        why.iter()
            .any(|m| m.contains("port 9443") && m.contains("/api/admin/v1/sessions")),
        "{why:?}"
    );
    assert_eq!(site.manager.provider_managed, Some(true));
    assert!(
        errors_for(&snap, "avs", "manager.provider_managed").is_empty(),
        "settled by the attestation"
    );
    assert_eq!(snap.attestations.len(), 1);
    assert!(site.manager.version.is_some(), "443 facts are still read");
}

#[test]
fn rejected_password_is_a_credentials_error_naming_the_site() {
    let run = start(scenario("two-site"));
    let mut env = run.env.clone();
    env.insert("HCX_CLOUD_EAST_PASSWORD".into(), "wrong".into());
    let err = collect_with_env(&run.args(), &env).expect_err("must fail");
    let msg = err.to_string();
    assert!(matches!(err, CollectError::CredentialsRejected { .. }), "{err:?}");
    assert!(
        msg.contains("site cloud-east")
            && msg.contains("HCX_USERNAME/HCX_PASSWORD")
            && msg.contains("/hybridity/api/sessions"),
        "{msg}"
    );
    // A rejected appliance management password is just as clear.
    let mut env = run.env.clone();
    env.insert("HCX_SOURCE_ADMIN_PASSWORD".into(), "wrong".into());
    let msg = collect_with_env(&run.args(), &env).expect_err("must fail").to_string();
    assert!(
        msg.contains("site source") && msg.contains("HCX_ADMIN_PASSWORD"),
        "{msg}"
    );
}

#[test]
fn unreachable_manager_is_an_error_and_writes_no_file() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let run = start(scenario("two-site"));
    let mut args = run.args();
    args.sites[0] = SiteSpec::parse(&format!("source=https://127.0.0.1:{port},role=connector")).expect("spec");
    args.retries = 1;
    let out = run.dir.path().join("snapshot.json");
    let err = collect::run_collect_with(&args, &out, false, &run.env).expect_err("must fail");
    let msg = err.to_string();
    assert!(matches!(err, CollectError::Unreachable { .. }), "{err:?}");
    assert!(
        msg.contains("site source") && msg.contains(&format!("127.0.0.1:{port}")),
        "{msg}"
    );
    assert!(!out.exists(), "no snapshot may be written");
}

#[test]
fn self_signed_certificate_without_ca_cert_says_what_to_do() {
    let run = start(scenario("two-site"));
    let mut args = run.args();
    args.ca_cert.clear();
    let msg = run.collect(&args).expect_err("must fail").to_string();
    assert!(
        msg.contains("--ca-cert") && msg.contains("--insecure") && msg.contains("not trusted"),
        "{msg}"
    );
}

#[test]
fn insecure_is_recorded_in_the_snapshot() {
    let run = start(scenario("two-site"));
    let mut args = run.args();
    args.ca_cert.clear();
    args.insecure = true;
    let snap = run.collect(&args).expect("collects");
    assert_eq!(snap.collector.insecure_tls, Some(true));
    let secure = run.collect(&run.args()).expect("collects");
    assert_eq!(secure.collector.insecure_tls, None);
}

#[test]
fn run_collect_writes_the_snapshot_atomically() {
    let run = start(scenario("two-site"));
    let out = run.dir.path().join("snap.json");
    collect::run_collect_with(&run.args(), &out, false, &run.env).expect("collects");
    let snap = Snapshot::load(&out).expect("loads");
    assert_eq!(snap.sites.len(), 2);
    assert_eq!(
        std::fs::read_dir(run.dir.path()).expect("dir").count(),
        2,
        "ca.pem and snap.json only"
    );
}

#[test]
fn attestations_from_a_file_are_recorded_with_evidence() {
    let run = start(scenario("two-site"));
    let file = run.dir.path().join("attest.toml");
    std::fs::write(
        &file,
        r#"
[[attestation]]
site = "source"
fact = "backup.last_success_at"
value = "2026-11-29T02:00:00Z"
by = "a.admin"
evidence = "backup job 4711"

[[attestation]]
site = "source"
fact = "site_pairs.cloud-east.status"
value = "healthy"
evidence = "Site Pairing page shows the pair connected"
"#,
    )
    .expect("write");
    let mut args = run.args();
    args.attestations = Some(file);
    let snap = run.collect(&args).expect("collects");
    let source = &snap.sites[0];
    let backup = source.backup.as_ref().expect("attested backup");
    assert_eq!(backup.provenance, Some(Provenance::Attested));
    assert_eq!(
        backup.evidence.as_deref(),
        Some("backup job 4711 (attested by a.admin)")
    );
    let pair = &source.site_pairs.as_ref().expect("pairs")[0];
    assert_eq!(
        (pair.status, pair.provenance),
        (Some(Status::Healthy), Some(Provenance::Attested))
    );
    assert!(errors_for(&snap, "source", "backup").is_empty());
    assert!(errors_for(&snap, "source", "site_pairs.cloud-east.status").is_empty());
    assert_eq!(snap.attestations.len(), 2);
}

#[test]
fn secrets_appear_nowhere() {
    let mut s = scenario("two-site");
    let password = "pw-7f3a9c1e-unique-sso";
    let admin = "pw-c0ffee42-unique-admin";
    let token = "tok-5eb1d2a8-unique-session";
    for site in &mut s.sites {
        site.credentials.password = password.into();
        site.credentials.admin_password = admin.into();
        site.credentials.token = Some(token.into());
    }
    // A fault so that errors carry answers too.
    s.sites[0].faults.push(
        serde_json::from_value(
            serde_json::json!({"path": "/hybridity/api/cloudConfigs", "kind": "status", "status": 500}),
        )
        .expect("fault"),
    );
    let run = start(s);
    let mut args = run.args();
    args.retries = 0;
    let snap = run.collect(&args).expect("collects");
    let text = format!("{} {:?} {:?}", snap.to_json_pretty(), snap, args);
    for secret in [password, admin, token] {
        assert!(!text.contains(secret), "{secret} leaked into the snapshot or args");
    }
    // Errors: rejected admin password, unreachable site.
    let mut env = run.env.clone();
    env.insert("HCX_SOURCE_ADMIN_PASSWORD".into(), format!("{admin}-wrong"));
    let err = collect_with_env(&args, &env).expect_err("rejected");
    let text = format!("{err} {err:?}");
    for secret in [password, admin, token] {
        assert!(!text.contains(secret), "{secret} leaked into the error: {text}");
    }
}

/// End to end with the real binary, in both families of answer shapes: `collect` writes a
/// snapshot, `check` judges it, and `check --site` (collect and judge in one run) reaches
/// the same findings.
#[rstest]
fn collect_then_check_end_to_end(#[values(Shapes::ClientCode, Shapes::Reference)] shapes: Shapes) {
    let run = start(scenario_in("two-site", shapes));
    let bin = || {
        let mut c = assert_cmd::Command::cargo_bin("hcx-preflight").expect("binary");
        c.current_dir(run.dir.path()).env("NO_COLOR", "1").envs(&run.env);
        c
    };
    let mut sites = Vec::new();
    for s in run.sim.sites() {
        sites.push("--site".to_string());
        sites.push(s.site_arg());
    }
    let ca = run.ca.to_str().expect("utf-8").to_string();
    let o = bin().arg("collect").args(&sites).args(["--ca-cert", &ca, "--out", "snap.json"]).output().expect("collect");
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let snap = run.dir.path().join("snap.json");
    hcx_preflight::snapshot::Snapshot::load(&snap).expect("the written snapshot loads");

    let judged = bin()
        .args(["check", "--snapshot", "snap.json", "--target", "4.11.0", "--format", "json"])
        .output()
        .expect("check");
    // The two-site scenario has a degraded appliance and facts no API gives: denied.
    assert_eq!(judged.status.code(), Some(1), "{}", String::from_utf8_lossy(&judged.stderr));
    let one_run = bin()
        .arg("check")
        .args(&sites)
        .args(["--ca-cert", &ca, "--target", "4.11.0", "--format", "json"])
        .output()
        .expect("check --site");
    assert_eq!(one_run.status.code(), Some(1));
    let ids = |out: &[u8]| -> Vec<(String, String, String)> {
        let d: serde_json::Value = serde_json::from_slice(out).expect("decision JSON");
        d["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| (f["id"].to_string(), f["site"].to_string(), f["resource"].to_string()))
            .collect()
    };
    let from_file = ids(&judged.stdout);
    assert!(from_file.iter().any(|(id, _, _)| id == "\"interconnect-unhealthy\""), "{from_file:?}");
    assert_eq!(from_file, ids(&one_run.stdout));
}

/// An endpoint type we do not know: a manager that lists site pairs is read as the
/// connector (noted in the errors); one that lists none cannot be placed, which is a
/// clear error naming `role=`.
#[test]
fn unknown_endpoint_type_uses_site_pairs_or_asks_for_the_role() {
    let mut s = scenario("two-site");
    s.sites[0].manager.endpoint_type = Some("HYBRIDITY_NODE".into());
    let run = start(s);
    let args = run.args();
    let mut only_source = args.clone();
    only_source.sites.retain(|site| site.name == "source");
    let snap = run.collect(&only_source).expect("collects");
    assert_eq!(snap.sites[0].role, hcx_preflight::snapshot::Role::Connector);
    assert!(snap.errors.iter().any(|e| e.fact == "role" && e.message.contains("lists site pairs")), "{:#?}", snap.errors);

    let mut s = scenario("two-site");
    s.sites[1].manager.endpoint_type = Some("HYBRIDITY_NODE".into());
    let run = start(s);
    let err = run.collect(&run.args()).expect_err("the cloud side cannot be placed").to_string();
    assert!(err.contains("cloud-east") && err.contains("role=connector or role=cloud") && err.contains("HYBRIDITY_NODE"), "{err}");
}

/// Judge a snapshot with the real binary; the decision JSON.
fn judge(dir: &Path, snap: &Snapshot, target: &str) -> serde_json::Value {
    let file = dir.join(format!("judged-{}.json", rand_suffix()));
    std::fs::write(&file, snap.to_json_pretty()).expect("write snapshot");
    let out = assert_cmd::Command::cargo_bin("hcx-preflight")
        .expect("binary")
        .env("NO_COLOR", "1")
        .args(["check", "--snapshot"])
        .arg(&file)
        .args(["--target", target, "--format", "json", "--now", "2026-11-29T09:05:00Z"])
        .output()
        .expect("check");
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("decision JSON")
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// The findings of a decision as (id, site, severity, message), sorted.
fn findings(d: &serde_json::Value) -> Vec<(String, String, String, String)> {
    let mut f: Vec<_> = d["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| (f["id"].to_string(), f["site"].to_string(), f["severity"].to_string(), f["message"].to_string()))
        .collect();
    f.sort();
    f
}

/// `check` decides the same from either family: same decision, same findings (a site pair
/// without a name in the reference's answer is named by its URL instead).
#[test]
fn check_decides_the_same_from_either_family() {
    let (c, client) = two_site_in(Shapes::ClientCode, |_| {});
    let (_r, reference) = two_site_in(Shapes::Reference, |_| {});
    for target in ["4.11.0", "4.10.3"] {
        let (dc, dr) = (judge(c.dir.path(), &client, target), judge(c.dir.path(), &reference, target));
        assert_eq!(dc["decision"], dr["decision"], "{target}");
        let url = "https://hcx-cloud.east.example";
        let unify = |f: Vec<(String, String, String, String)>| -> Vec<_> {
            f.into_iter()
                .map(|(id, site, sev, msg)| {
                    let msg = msg.replace(&format!("cloud-east ({url})"), &format!("{url} ({url})"));
                    // The attest hint names the pair as `--attest` takes it: name, else endpoint id.
                    (id, site, sev, msg.replace("site_pairs.20191128-0002-dst.", "site_pairs.cloud-east."))
                })
                .collect()
        };
        assert_eq!(unify(findings(&dc)), unify(findings(&dr)), "{target}");
    }
}

/// The reference's single-mesh status: one service down makes the mesh unhealthy, and the
/// failing service with its reasons reaches the mesh's message and the finding.
#[rstest]
fn mesh_status_object_with_a_service_down(#[values(Shapes::ClientCode, Shapes::Reference)] shapes: Shapes) {
    let (run, snap) = two_site_in(shapes, |s| {
        s.sites[0].service_meshes[0].raw.insert(
            "status".into(),
            serde_json::json!({"timestamp": 1, "services": [
                {"serviceName": "INTERCONNECT", "status": "HEALTHY", "reason": []},
                {"serviceName": "NETWORK_EXTENSION", "status": "DOWN", "reason": ["NE tunnel down"]}]}),
        );
    });
    let mesh = &snap.sites[0].service_meshes.as_ref().expect("meshes")[0];
    assert_eq!(mesh.status, Some(Status::Unhealthy));
    assert_eq!(mesh.message.as_deref(), Some("NETWORK_EXTENSION: DOWN (NE tunnel down)"));
    assert_eq!(mesh.appliances.as_ref().map(Vec::len), Some(2), "appliances still matched to the mesh");
    let d = judge(run.dir.path(), &snap, "4.11.0");
    assert!(
        findings(&d).iter().any(|(id, _, _, m)| id == "\"interconnect-unhealthy\"" && m.contains("NETWORK_EXTENSION: DOWN (NE tunnel down)")),
        "{d:#}"
    );
}

/// A healthy mesh status object with every service healthy is healthy; the mesh id under
/// `id` (the reference) still finds the appliances.
#[test]
fn mesh_status_object_all_healthy_and_mesh_id_as_id() {
    let (run, snap) = two_site_in(Shapes::Reference, |_| {});
    let source = run.sim.site("source").expect("site");
    assert_eq!(source.requests("/hybridity/api/interconnect/appliances/query"), 1);
    let mesh = &snap.sites[0].service_meshes.as_ref().expect("meshes")[0];
    assert_eq!((mesh.id.as_deref(), mesh.status, &mesh.message), (Some("sm-1"), Some(Status::Healthy), &None));
    let appliances = mesh.appliances.as_ref().expect("appliances of the mesh found by `id`");
    assert_eq!(appliances.len(), 2);
    let ne = appliances.iter().find(|a| a.kind.as_deref() == Some("HCX-NET-EXT")).expect("NE");
    assert_eq!((ne.status, ne.message.as_deref()), (Some(Status::Degraded), Some("tunnel latency high")));
    assert!(appliances.iter().all(|a| a.tunnel_status == Some(TunnelStatus::Up)));
}

/// Tunnel state from the metrics-summary keys: up only when every key present says so.
#[rstest]
#[case::all_up(&["UP", "UP"], "UP", TunnelStatus::Up)]
#[case::one_transport_down(&["UP", "DOWN"], "UP", TunnelStatus::Down)]
#[case::encryption_down(&["UP"], "DOWN", TunnelStatus::Down)]
#[case::word_unknown(&["UP"], "FLAPPING", TunnelStatus::Unknown)]
fn tunnel_state_from_the_metrics_summary(#[case] transports: &[&str], #[case] encryption: &str, #[case] want: TunnelStatus) {
    let transport: Vec<_> = transports.iter().map(|w| serde_json::json!({"aggregatedTunnelStatus": w})).collect();
    let (_run, snap) = two_site_in(Shapes::Reference, |s| {
        let ix = &mut s.sites[0].service_meshes[0].appliances[0];
        ix.as_object_mut().expect("object").remove("tunnelStatus");
        ix["metricsSummary"] = serde_json::json!({"overallTransportStatus": "UP", "overallEncryptionTunnelStatus": encryption,
            "transportSummary": transport, "totalActiveTunnelCount": 2});
    });
    let ix = &snap.sites[0].service_meshes.as_ref().expect("meshes")[0].appliances.as_ref().expect("appliances")[0];
    assert_eq!(ix.tunnel_status, Some(want));
    if want == TunnelStatus::Unknown {
        let why = errors_for(&snap, "source", "service_meshes.mesh-east.appliances.mesh-east-IX-I1.tunnel_status");
        assert!(why.iter().any(|m| m.contains("FLAPPING") && m.contains("POST /hybridity/api/interconnect/appliances/query")), "{why:?}");
    }
}

/// `HCX-WAN-IX-EDGE` (9.1.1, EDGE-backed meshes) is kept as the manager prints it; the
/// policies read it as an Interconnect appliance (`data.hcx.lib.appliance_of(a, "interconnect")`).
#[rstest]
fn appliance_type_as_printed(#[values(Shapes::ClientCode, Shapes::Reference)] shapes: Shapes) {
    let (run, snap) = two_site_in(shapes, |s| {
        let mesh = &mut s.sites[0].service_meshes[0];
        mesh.raw.insert("backingApplianceType".into(), "EDGE".into());
        mesh.appliances[0]["applianceType"] = "HCX-WAN-IX-EDGE".into();
    });
    let ix = &snap.sites[0].service_meshes.as_ref().expect("meshes")[0].appliances.as_ref().expect("appliances")[0];
    assert_eq!((ix.kind.as_deref(), ix.status), (Some("HCX-WAN-IX-EDGE"), Some(Status::Healthy)));
    // An org rule that lists Interconnect appliances by service finds it.
    let dir = run.dir.path().join("org");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(
        dir.join("ix.rego"),
        "package hcx.rules.acme_ix\nimport data.hcx.lib\nviolation contains lib.finding(\"acme-ix\", x.site, x.appliance.name, x.appliance.type) if {\n\tsome x in lib.appliances\n\tlib.appliance_of(x.appliance, \"interconnect\")\n}\n",
    )
    .expect("rego");
    std::fs::create_dir_all(dir.join("hcx/catalog")).expect("dir");
    std::fs::write(
        dir.join("hcx/catalog/data.json"),
        r#"{"acme-ix": {"title": "IX", "severity": "info", "kb": null, "when": "an Interconnect appliance", "remediation": "-"}}"#,
    )
    .expect("catalog");
    let file = run.dir.path().join("edge.json");
    std::fs::write(&file, snap.to_json_pretty()).expect("write");
    let out = assert_cmd::Command::cargo_bin("hcx-preflight")
        .expect("binary")
        .args(["check", "--snapshot"])
        .arg(&file)
        .args(["--target", "4.11.0", "--format", "json", "--now", "2026-11-29T09:05:00Z", "--policy-dir"])
        .arg(&dir)
        .output()
        .expect("check");
    let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    let ix_types: Vec<String> = findings(&d).into_iter().filter(|f| f.0 == "\"acme-ix\"").map(|f| f.3).collect();
    // The source's EDGE-typed IX and the cloud side's plain IX; no NE appliance.
    assert_eq!(ix_types, ["\"HCX-WAN-IX\"", "\"HCX-WAN-IX-EDGE\""], "{d:#}");
}

/// Shapes neither family documents: every such fact is unknown with an `errors` line that
/// names the endpoint and the shape's keys (never values), and nothing is healthy.
#[rstest]
fn unrecognised_shapes_are_unknown_never_healthy(#[values(Shapes::ClientCode, Shapes::Reference)] shapes: Shapes) {
    let (run, snap) = two_site_in(shapes, |s| {
        for site in &mut s.sites {
            for mesh in &mut site.service_meshes {
                mesh.raw.insert("status".into(), serde_json::json!({"overall": "GREEN", "secretToken": "tok-77aa"}));
                for a in &mut mesh.appliances {
                    let a = a.as_object_mut().expect("object");
                    a.remove("status");
                    a.remove("tunnelStatus");
                    a.insert("health".into(), serde_json::json!({"state": "HEALTHY"}));
                    a.insert("metricsSummary".into(), serde_json::json!({"transportSummary": "UP"}));
                }
            }
        }
    });
    let meshes = serde_json::to_value(snap.sites.iter().map(|s| &s.service_meshes).collect::<Vec<_>>()).expect("json");
    assert!(!healthy_anywhere(&meshes), "{meshes:#}");
    let mesh_why = errors_for(&snap, "source", "service_meshes.mesh-east.status");
    assert!(
        mesh_why.iter().any(|m| m.contains("GET /hybridity/api/interconnect/serviceMesh") && m.contains("keys [overall, secretToken]")),
        "{mesh_why:?}"
    );
    let app = "service_meshes.mesh-east.appliances.mesh-east-IX-I1";
    let why = errors_for(&snap, "source", &format!("{app}.status"));
    assert!(why.iter().any(|m| m.contains("POST /hybridity/api/interconnect/appliances/query") && m.contains("keys [")), "{why:?}");
    let why = errors_for(&snap, "source", &format!("{app}.tunnel_status"));
    assert!(why.iter().any(|m| m.contains("metricsSummary.transportSummary") && m.contains("not a word")), "{why:?}");
    assert!(!snap.to_json_pretty().contains("tok-77aa"), "values never reach the snapshot");
    let d = judge(run.dir.path(), &snap, "4.11.0");
    assert_eq!(d["decision"], "deny");
}

/// A site pair the manager names only by its endpoint id (the reference's shape) can be
/// attested under that id, the same key its `errors` line uses.
#[test]
fn a_pair_without_a_name_is_attested_by_its_endpoint_id() {
    let run = start(scenario_in("two-site", Shapes::Reference));
    let mut args = run.args();
    args.attest = vec!["source.site_pairs.20191128-0002-dst.status=healthy;by=ops;evidence=Site Pairing page green".into()];
    let snap = run.collect(&args).expect("collects");
    let pair = &snap.sites[0].site_pairs.as_ref().expect("pairs")[0];
    assert_eq!((pair.status, pair.provenance), (Some(Status::Healthy), Some(Provenance::Attested)));
    assert!(errors_for(&snap, "source", "site_pairs.20191128-0002-dst.status").is_empty());
    assert_eq!(errors_for(&snap, "source", "site_pairs.20191128-0002-dst.remote_version").len(), 1, "still unknown");
}
