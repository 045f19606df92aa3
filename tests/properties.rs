//! Property tests of the gate: for any snapshot the loader accepts, judging
//! terminates without panicking; a snapshot with any unhealthy or unknown health
//! status never yields "allow" unless that finding is waived; the JSON output
//! always parses and its decision agrees with its findings and the exit code.

use hcx_preflight::check::{judge, LoadedSnapshot};
use hcx_preflight::findings::{Severity, Verdict};
use hcx_preflight::plan::{parse_time, FailOn, Phase, Plan};
use hcx_preflight::policy::{LoadOptions, PolicySet};
use hcx_preflight::report;
use hcx_preflight::snapshot::*;
use proptest::prelude::*;

const VERSIONS: &[&str] = &["4.2.4", "4.3.2", "4.4.0", "4.4.2", "4.9.3", "4.10.2", "4.11.0", "9.0.0.0", "9.1.1.0"];

fn version() -> impl Strategy<Value = Option<String>> {
    prop_oneof![9 => proptest::sample::select(VERSIONS).prop_map(|v| Some(v.to_string())), 1 => Just(None)]
}

fn status() -> impl Strategy<Value = Option<Status>> {
    prop_oneof![
        6 => Just(Some(Status::Healthy)),
        1 => Just(Some(Status::Degraded)),
        1 => Just(Some(Status::Unhealthy)),
        1 => Just(Some(Status::Unknown)),
        1 => Just(None),
    ]
}

fn tunnel() -> impl Strategy<Value = Option<TunnelStatus>> {
    prop_oneof![6 => Just(Some(TunnelStatus::Up)), 1 => Just(Some(TunnelStatus::Down)), 1 => Just(Some(TunnelStatus::Unknown)), 1 => Just(None)]
}

fn appliance() -> impl Strategy<Value = Appliance> {
    (version(), status(), tunnel(), "[a-z]{1,6}").prop_map(|(v, s, t, n)| Appliance {
        id: Some(format!("a-{n}")),
        name: Some(n),
        kind: Some("HCX-WAN-IX".into()),
        version: v.map(|v| v.parse().expect("version")),
        status: s,
        message: None,
        tunnel_status: t,
        update_available: Some(false),
        ha_group: None,
        attested: Default::default(),
    })
}

fn mesh() -> impl Strategy<Value = ServiceMesh> {
    (status(), proptest::option::weighted(0.9, proptest::collection::vec(appliance(), 0..4)), "[a-z]{1,6}", any::<bool>()).prop_map(|(s, a, n, failed)| ServiceMesh {
        id: Some(format!("sm-{n}")),
        name: Some(n),
        state: Some(if failed { "UPDATE_FAILED" } else { "COMMITTED" }.into()),
        status: s,
        message: None,
        backing: Some("PHOTON".into()),
        update_available: Some(false),
        services: Some(vec!["INTERCONNECT".into()]),
        appliances: a,
        attested: Default::default(),
    })
}

fn connection() -> impl Strategy<Value = Connection> {
    (proptest::sample::select(vec![ConnectionKind::Vcenter, ConnectionKind::Nsx, ConnectionKind::CloudDirector, ConnectionKind::Rmq, ConnectionKind::LookupService]), status()).prop_map(|(k, s)| Connection {
        kind: k,
        url: Some("https://vc.corp.example".into()),
        version: None,
        status: s,
        message: None,
        provenance: None,
        evidence: None,
        stamp: Default::default(),
    })
}

fn site(name: &'static str, provider_managed: BoxedStrategy<Option<bool>>) -> impl Strategy<Value = Site> {
    (
        version(),
        provider_managed,
        proptest::option::weighted(0.9, proptest::collection::vec(connection(), 0..4)),
        proptest::option::weighted(0.9, proptest::collection::vec((status(), version()), 0..2)),
        proptest::option::weighted(0.9, proptest::collection::vec(mesh(), 0..3)),
        proptest::option::of(0.0f64..100.0),
        proptest::option::weighted(0.8, (proptest::option::of(any::<bool>()), proptest::option::of(0i64..200_000))),
        proptest::option::weighted(0.9, (0u64..3, 0u64..3)),
        any::<bool>(),
    )
        .prop_map(move |(v, pm, conns, pairs, meshes, disk, backup, ops, local)| {
            let domain = if local { "corp.local" } else { "corp.example" };
            Site {
                name: name.into(),
                role: if name == "source" { Role::Connector } else { Role::Cloud },
                manager: Manager {
                    fqdn: Some(format!("hcx.{domain}")),
                    version: v.map(|v| v.parse().expect("version")),
                    build: None,
                    provider_managed: pm,
                    provider: None,
                    appliance_management_reachable: Some(true),
                    dns: Some(Dns { domain: Some(domain.into()), search_domains: Some(vec![]), servers: Some(vec![]) }),
                    disk_common_used_percent: disk,
                },
                backup: backup.map(|(supported, age)| Backup {
                    supported,
                    last_success_at: age.map(|s| parse_time("2026-11-29T09:05:00Z").expect("time") - chrono::Duration::seconds(s)),
                    provenance: Some(Provenance::Attested),
                    evidence: Some("job".into()),
                    stamp: Default::default(),
                }),
                connections: conns,
                site_pairs: pairs.map(|p| {
                    p.into_iter()
                        .map(|(s, v)| SitePair {
                            endpoint_id: Some("e".into()),
                            remote_name: Some("peer".into()),
                            remote_url: Some("https://peer.corp.example".into()),
                            remote_version: v.map(|v| v.parse().expect("version")),
                            remote_build: None,
                            status: s,
                            message: None,
                            provenance: None,
                            evidence: None,
                            stamp: Default::default(),
                        })
                        .collect()
                }),
                service_meshes: meshes,
                updates: None,
                operations: ops.map(|(m, r)| Operations { active_migrations: Some(m), active_replications: Some(r), extended_networks: Some(0) }),
            }
        })
}

fn snapshot(provider_managed: fn() -> BoxedStrategy<Option<bool>>) -> impl Strategy<Value = Snapshot> {
    (site("source", provider_managed()), proptest::option::of(site("cloud", provider_managed())), 0i64..7200).prop_map(|(a, b, age)| Snapshot {
        schema_version: 1,
        collected_at: parse_time("2026-11-29T09:05:00Z").expect("time") - chrono::Duration::seconds(age),
        collector: Collector { name: "proptest".into(), version: "0".into(), insecure_tls: None },
        sites: std::iter::once(a).chain(b).collect(),
        errors: vec![],
        attestations: vec![],
    })
}

fn any_provider() -> BoxedStrategy<Option<bool>> {
    proptest::option::of(any::<bool>()).boxed()
}

fn customer_managed() -> BoxedStrategy<Option<bool>> {
    prop_oneof![Just(Some(false)), Just(None)].boxed()
}

fn plan() -> impl Strategy<Value = Plan> {
    (proptest::sample::select(VERSIONS), proptest::sample::select(vec![Phase::Managers, Phase::ServiceMesh, Phase::Verify, Phase::VerifyMesh]), any::<bool>()).prop_map(|(t, phase, warn)| Plan {
        target_version: t.parse().expect("version"),
        phase,
        evaluated_at: parse_time("2026-11-29T09:05:00Z").expect("time"),
        fail_on: if warn { FailOn::Warn } else { FailOn::Deny },
    })
}

/// Any health status other than healthy (or a tunnel other than up), anywhere.
fn has_unhealthy(s: &Snapshot) -> bool {
    s.sites.iter().any(|site| {
        let bad = |st: &Option<Status>| *st != Some(Status::Healthy);
        site.connections.as_ref().is_some_and(|c| c.iter().any(|c| bad(&c.status)))
            || site.site_pairs.as_ref().is_some_and(|p| p.iter().any(|p| bad(&p.status)))
            || site.service_meshes.as_ref().is_some_and(|m| {
                m.iter().any(|m| {
                    bad(&m.status)
                        || m.appliances.as_ref().is_some_and(|a| a.iter().any(|a| bad(&a.status) || a.tunnel_status != Some(TunnelStatus::Up)))
                })
            })
    })
}

fn config_waiving(ids: &[&str]) -> PolicySet {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::new();
    for id in ids {
        text.push_str(&format!("[[waivers]]\nid = \"{id}\"\nreason = \"accepted risk\"\napproved_by = \"cab\"\nexpires = 2027-01-01\n\n"));
    }
    let path = dir.path().join("c.toml");
    std::fs::write(&path, text).expect("write");
    PolicySet::load(&LoadOptions { config: Some(path), ..Default::default() }).expect("policies")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn judging_terminates_and_the_json_agrees_with_the_exit_code(s in snapshot(any_provider), p in plan()) {
        thread_local!(static SET: PolicySet = PolicySet::builtin().expect("policies"));
        // What the loader accepts is what is judged.
        let bytes = serde_json::to_vec(&s).expect("serialize");
        let s = Snapshot::from_slice(&bytes, std::path::Path::new("prop.json")).expect("loader accepts");
        let d = SET.with(|set| judge(&LoadedSnapshot::from_snapshot(s), &p, set)).expect("judge");
        let mut out = Vec::new();
        report::json::render(&d, &mut out).expect("render");
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json parses");
        let blocking = d.findings.iter().any(|f| !f.waived && (f.severity == Severity::Deny || (p.fail_on == FailOn::Warn && f.severity == Severity::Warn)));
        prop_assert_eq!(v["decision"].as_str(), Some(if blocking { "deny" } else { "allow" }));
        prop_assert_eq!(d.verdict(), if blocking { Verdict::Deny } else { Verdict::Allow });
        prop_assert_eq!(v["summary"]["deny"].as_u64(), Some(d.findings.iter().filter(|f| !f.waived && f.severity == Severity::Deny).count() as u64));
    }

    #[test]
    fn unhealthy_or_unknown_never_allows(s in snapshot(customer_managed), p in plan()) {
        thread_local!(static SET: PolicySet = PolicySet::builtin().expect("policies"));
        prop_assume!(has_unhealthy(&s));
        let d = SET.with(|set| judge(&LoadedSnapshot::from_snapshot(s), &p, set)).expect("judge");
        prop_assert_eq!(d.decision, Verdict::Deny);
    }

    #[test]
    fn unhealthy_allows_only_when_every_blocking_finding_is_waived(s in snapshot(customer_managed), p in plan()) {
        thread_local!(static SET: PolicySet = config_waiving(&["connection-unhealthy", "connection-unknown", "interconnect-unhealthy", "site-pair-unhealthy"]));
        prop_assume!(has_unhealthy(&s));
        let d = SET.with(|set| judge(&LoadedSnapshot::from_snapshot(s), &p, set)).expect("judge");
        let health = ["connection-unhealthy", "connection-unknown", "interconnect-unhealthy", "site-pair-unhealthy"];
        for f in &d.findings {
            if health.contains(&f.id.as_str()) {
                prop_assert!(f.waived, "{} not waived", f.id);
            }
        }
        if d.decision == Verdict::Allow {
            prop_assert!(d.findings.iter().all(|f| f.waived || f.severity == Severity::Info || (f.severity == Severity::Warn && p.fail_on == FailOn::Deny)));
        }
    }
}
