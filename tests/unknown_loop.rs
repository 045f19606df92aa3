//! The loop for unknown facts (issue #11): one naming of facts in Rust and Rego, hints
//! that work when pasted into a shell, and collect -> fill in -> check against the
//! simulator with the real binary.

use std::path::Path;
use std::process::Output;

use hcx_preflight::collect::facts;

use crate::collect::{scenario, start};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bin(dir: &Path) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("hcx-preflight").expect("binary");
    c.current_dir(dir).env("NO_COLOR", "1");
    c
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The library policies in one engine, to call `data.hcx.lib` functions.
fn lib_engine() -> regorus::Engine {
    let mut engine = regorus::Engine::new();
    for entry in std::fs::read_dir(root().join("policies/hcx/lib")).expect("lib dir") {
        let path = entry.expect("entry").path();
        let name = path.to_string_lossy().into_owned();
        if name.ends_with(".rego") && !name.ends_with("_test.rego") {
            engine.add_policy_from_file(&path).expect("lib policy compiles");
        }
    }
    engine
}

fn rego_string(engine: &mut regorus::Engine, call: &str, args: &[serde_json::Value]) -> String {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let query = format!("x := data.hcx.lib.{call}({})", args.join(", "));
    let results = engine.eval_query(query.clone(), false).expect("query evaluates");
    let value = &results.result.first().unwrap_or_else(|| panic!("{query} is undefined")).bindings["x"];
    value.as_string().unwrap_or_else(|_| panic!("{query} gives a string")).to_string()
}

/// Rust's `facts` and Rego's `data.hcx.lib` name facts the same way and give the same
/// `--attest` words, for plain names (byte for byte) and for names a shell would break
/// on (quotes, spaces, `;`, `$`).
#[test]
fn rust_and_rego_name_facts_and_hints_alike() {
    let mut engine = lib_engine();
    let cases = [
        ("source", "mesh-east", "mesh-east-IX-I1"),
        ("mgr.east.example", "mesh 1; rm -rf /", "IX'1 $HOME"),
        ("site \"q\"", "m`x`", "a\\b"),
    ];
    for (site, mesh, appliance) in cases {
        let mesh_json = serde_json::json!({"name": mesh, "id": "sm-1"});
        let app_json = serde_json::json!({"name": null, "id": appliance});
        let fact = facts::appliance(mesh, appliance, "tunnel_status");
        assert_eq!(rego_string(&mut engine, "appliance_fact", &[mesh_json.clone(), app_json, "tunnel_status".into()]), fact);
        assert_eq!(rego_string(&mut engine, "mesh_fact", &[mesh_json, "status".into()]), facts::mesh(mesh, "status"));
        let rust = facts::attest_line(site, &fact, "up");
        let rego = rego_string(&mut engine, "attest_hint", &[serde_json::json!({"name": site}), fact.clone().into(), "up".into()]);
        if site == "source" {
            assert_eq!(rust, rego);
        }
        let words = shlex::split(&rust).expect("Rust's line splits");
        assert_eq!(words, shlex::split(&rego).expect("Rego's line splits"), "{rust} vs {rego}");
        assert_eq!(words, ["--attest".to_string(), format!("{site}.{fact}=up;evidence=WHAT SHOWS IT")]);
        // A real shell reads it the same way.
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf '%s\\n' {rego}"))
            .output()
            .expect("sh runs");
        assert_eq!(text(&out.stdout), format!("--attest\n{site}.{fact}=up;evidence=WHAT SHOWS IT\n"));
    }
}

fn judge_json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("decision JSON: {e}; stderr {}", text(&o.stderr)))
}

fn finding_messages(d: &serde_json::Value) -> Vec<(String, String)> {
    d["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| (f["id"].as_str().unwrap_or("").to_string(), f["message"].as_str().unwrap_or("").to_string()))
        .collect()
}

/// An unknown tunnel state denies; the `--attest` hint of that finding, pasted into a
/// shell after the same command, allows.
#[test]
fn an_unknown_tunnel_denies_and_its_pasted_hint_allows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root().join("fixtures/snapshots/two-site-healthy.json")).expect("fixture"))
            .expect("json");
    doc["sites"][1]["service_meshes"][0]["appliances"][0]["tunnel_status"] = "unknown".into();
    std::fs::write(dir.path().join("snap.json"), doc.to_string()).expect("write");
    let args = ["check", "--snapshot", "snap.json", "--target", "4.11.0", "--now", "2026-11-29T09:05:00Z", "--format", "json"];
    let denied = bin(dir.path()).args(args).output().expect("check");
    assert_eq!(denied.status.code(), Some(1), "{}", text(&denied.stderr));
    let findings = finding_messages(&judge_json(&denied));
    assert_eq!(findings.iter().filter(|(id, _)| id == "interconnect-unhealthy").count(), 1, "{findings:?}");
    let (_, message) = findings.iter().find(|(id, _)| id == "interconnect-unhealthy").expect("the tunnel denies");
    let hint = &message[message.find("--attest ").expect("a hint in the message")..];
    assert!(hint.contains("cloud-east.service_meshes.mesh-east.appliances.mesh-east-IX-I1.tunnel_status=up"), "{hint}");

    let exe = assert_cmd::cargo::cargo_bin("hcx-preflight");
    let quoted: Vec<String> = args.iter().map(|a| shlex::try_quote(a).expect("quote").into_owned()).collect();
    let line = format!("{} {} {hint}", shlex::try_quote(&exe.to_string_lossy()).expect("quote"), quoted.join(" "));
    let allowed = std::process::Command::new("sh").arg("-c").arg(&line).current_dir(dir.path()).output().expect("sh");
    assert_eq!(allowed.status.code(), Some(0), "{line}\n{}\n{}", text(&allowed.stdout), text(&allowed.stderr));
    let d = judge_json(&allowed);
    assert_eq!(d["decision"], "allow");
    let attested = &d["findings"];
    assert!(!attested.to_string().contains("tunnel"), "{attested}");
}

/// Fill in a form the way an operator would: a verified value for every fact.
fn fill_in(form: &mut serde_json::Value) {
    for entry in form["unknown_facts"].as_array_mut().expect("entries") {
        let fact = entry["fact"].as_str().expect("fact").to_string();
        let value = match fact.rsplit('.').next().expect("field") {
            "last_success_at" => "2026-11-29T08:30:00Z",
            "disk_common_used_percent" => "41.5",
            "provider_managed" => "false",
            "tunnel_status" => "up",
            "ha_group" => "none",
            "extended_networks" => "0",
            "status" if fact.starts_with("connections.cloud_director") || fact.starts_with("connections.rmq") => "not_in_use",
            _ => "healthy",
        };
        entry["value"] = value.into();
        entry["evidence"] = format!("checked {fact} in the UI").into();
        entry["by"] = "a.admin".into();
        entry["at"] = "2026-11-29T08:45:00Z".into();
    }
}

/// collect -> fill in -> check, against the simulator with the real binary: `collect`
/// ends with the summary of what it could not read (per site, with `--attest` lines) and
/// writes the form; an unfilled form is refused naming the entry; the filled one settles
/// every unknown fact, so that only what is known to be bad remains.
#[test]
fn collect_fill_in_check_loop() {
    let run = start(scenario("two-site"));
    let dir = run.dir.path();
    let mut sites = Vec::new();
    for s in run.sim.sites() {
        sites.push("--site".to_string());
        sites.push(s.site_arg());
    }
    let ca = run.ca.to_string_lossy().into_owned();
    let o = bin(dir)
        .envs(&run.env)
        .arg("collect")
        .args(&sites)
        .args(["--ca-cert", &ca, "--out", "snap.json", "--unknown-out", "unknown.json"])
        .output()
        .expect("collect");
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("could not read ") && err.contains("  site source:"), "{err}");
    assert!(err.contains("--attest 'source.backup.last_success_at=TIME;evidence=WHAT SHOWS IT'"), "{err}");
    assert!(err.contains("wrote the form of unknown facts to unknown.json"), "{err}");

    let check = |attestations: &str| {
        bin(dir)
            .args(["check", "--snapshot", "snap.json", "--target", "4.11.0", "--now", "2026-11-29T09:00:00Z", "--format", "json"])
            .args(["--attestations", attestations])
            .output()
            .expect("check")
    };
    // Unfilled: refused, naming the entry (fail closed).
    let unfilled = check("unknown.json");
    assert_eq!(unfilled.status.code(), Some(2));
    assert!(text(&unfilled.stderr).contains("unknown_facts entry 1 ("), "{}", text(&unfilled.stderr));

    let mut form: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("unknown.json")).expect("form")).expect("json");
    assert!(!form["unknown_facts"].as_array().expect("entries").is_empty());
    fill_in(&mut form);
    std::fs::write(dir.join("filled.json"), form.to_string()).expect("write");
    let judged = check("filled.json");
    let d = judge_json(&judged);
    let ids: Vec<String> = finding_messages(&d).into_iter().map(|(id, _)| id).collect();
    for gone in ["fact-missing", "connection-unknown", "site-pair-unhealthy", "backup-missing"] {
        assert!(!ids.iter().any(|id| id == gone), "{gone} should be settled: {ids:?}");
    }
    // What the simulator reports as bad stays: the two-site scenario's degraded appliance.
    assert!(ids.iter().any(|id| id == "interconnect-unhealthy"), "{ids:?}");
    assert_eq!(d["decision"], "deny");
}
