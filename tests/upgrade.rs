//! `upgrade` and `verify` against the simulated HCX Manager, running the real binary:
//! a denied plan sends no upgrade request; an allowed plan upgrades, the manager reboots
//! and returns on the target, and verify passes; a manager that never returns, a FAILED
//! upgrade, a 4.x release without the API, and stale or mismatched approved decisions
//! all end in exit code 2 with a clear message; the audit log records every run.

use std::process::Output;

use assert_cmd::Command;
use hcx_preflight::api::inferred::upgrade_api;
use hcx_sim::scenario::UpgradeOutcome;

use super::collect::{scenario, start, Run};

const TARGET: &str = "9.1.1.0";

/// The facts no API gives, attested as an operator would (the backup an hour before the
/// test process started, so that every run of a test attests the same facts).
pub(super) fn attestations() -> Vec<String> {
    static BACKUP: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let backup = BACKUP.get_or_init(|| (chrono::Utc::now() - chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ").to_string());
    vec![
        format!("mgr9.backup.last_success_at={backup};evidence=backup job 4711"),
        "mgr9.manager.disk_common_used_percent=40;evidence=df -h /common".into(),
        "mgr9.site_pairs.cloud9.status=healthy;evidence=Site Pairing page shows connected".into(),
    ]
}

fn nine_x(outcome: UpgradeOutcome, reboot_ms: u64) -> Run {
    let mut s = scenario("nine-x");
    s.sites[0].upgrade.outcome = outcome;
    s.sites[0].upgrade.reboot_ms = reboot_ms;
    start(s)
}

fn cmd(run: &Run, args: &[&str], attest: bool) -> Output {
    cmd_attesting(run, args, &if attest { attestations() } else { Vec::new() })
}

/// The binary against the simulated sites of `run`, with these `--attest` lines.
pub(super) fn cmd_attesting(run: &Run, args: &[&str], attest: &[String]) -> Output {
    let mut c = Command::cargo_bin("hcx-preflight").expect("binary");
    c.current_dir(run.dir.path()).env("NO_COLOR", "1");
    for (k, v) in &run.env {
        c.env(k, v);
    }
    c.args(args);
    for s in run.sim.sites() {
        c.args(["--site", &s.site_arg()]);
    }
    c.args(["--ca-cert", run.ca.to_str().expect("utf-8 path")]);
    for a in attest {
        c.args(["--attest", a]);
    }
    c.timeout(std::time::Duration::from_secs(120)).output().expect("run")
}

fn upgrade(run: &Run, extra: &[&str], attest: bool) -> Output {
    let mut args = vec!["upgrade", "--target", TARGET, "--yes", "--poll-interval", "100ms", "--return-timeout", "3s"];
    args.extend_from_slice(extra);
    cmd(run, &args, attest)
}

pub(super) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

pub(super) fn starts(run: &Run) -> u64 {
    run.sim.sites().iter().map(|s| s.requests(upgrade_api::START)).sum()
}

pub(super) fn audit(run: &Run) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(run.dir.path().join("hcx-preflight-audit.jsonl")).unwrap_or_default();
    text.lines().map(|l| serde_json::from_str(l).expect("audit line is JSON")).collect()
}

#[test]
fn a_denied_plan_sends_no_upgrade_request() {
    let run = nine_x(UpgradeOutcome::Success, 500);
    let o = upgrade(&run, &[], false);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("denied: no change was sent to HCX"));
    assert_eq!(starts(&run), 0);
    assert_eq!(run.sim.sites()[0].current_version(), "9.0.0.0");
    let log = audit(&run);
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["result"], "denied");
    assert_eq!(log[0]["decision"], "deny");
}

/// The upgrade goes through, and the verify after it counts no attestation made before it
/// (the site pair was attested on 9.0.0.0): it denies and says what to attest again and how.
/// The paired manager cloud9, seen only through its site pair, is still on 9.0.0.0: verify
/// denies that too, also when the site pair is attested again after the upgrade.
#[test]
fn an_allowed_plan_upgrades_reboots_returns_and_verifies_without_the_earlier_attestations() {
    let run = nine_x(UpgradeOutcome::Success, 1200);
    let o = upgrade(&run, &["--format", "json"], true);
    let err = stderr(&o);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(starts(&run), 1);
    assert_eq!(run.sim.sites()[0].current_version(), TARGET);
    assert!(err.contains("mgr9: the manager is down (rebooting)"), "{err}");
    assert!(err.contains("mgr9: the manager is back after"), "{err}");
    assert!(err.contains("found problems: see the findings above"), "{err}");
    assert!(!err.contains("verified:"), "{err}");
    assert!(out.contains("made while the manager ran 9.0.0.0, and it now reports 9.1.1.0"), "{out}");
    assert!(out.contains("--attest 'mgr9.site_pairs.cloud9.status=healthy;evidence=WHAT SHOWS IT'"), "{out}");
    let results: Vec<String> = audit(&run).iter().map(|e| format!("{} {}", e["phase"].as_str().unwrap(), e["result"].as_str().unwrap())).collect();
    assert_eq!(results, ["managers success", "verify verify-denied"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(run.dir.path().join("hcx-preflight-audit.jsonl")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Attested again after the upgrade, the site pair counts; the paired manager does not.
    let o = cmd(&run, &["verify", "--target", TARGET, "--format", "json"], true);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let d: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let found: Vec<(String, String)> = d["findings"].as_array().unwrap().iter().map(|f| (f["id"].as_str().unwrap().to_string(), f["resource"].as_str().unwrap_or("").to_string())).collect();
    let denied: Vec<_> = found.iter().zip(d["findings"].as_array().unwrap()).filter(|(_, f)| f["severity"] == "deny").map(|(k, _)| k.clone()).collect();
    assert_eq!(denied, [("version-not-updated".to_string(), "cloud9".to_string())], "{d}");
    let o = cmd(&run, &["verify", "--target", "9.2.0.0"], true);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("version-not-updated"));
}

#[test]
fn a_dry_run_shows_the_plan_and_sends_nothing() {
    let run = nine_x(UpgradeOutcome::Success, 500);
    let o = upgrade(&run, &["--dry-run"], true);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("mgr9: hcx-mgr01.corp.local 9.0.0.0 -> 9.1.1.0"), "{}", stderr(&o));
    assert_eq!(starts(&run), 0);
}

#[test]
fn without_yes_and_without_a_terminal_nothing_starts() {
    let run = nine_x(UpgradeOutcome::Success, 500);
    let mut args = vec!["upgrade", "--target", TARGET];
    args.extend(["--poll-interval", "100ms"]);
    let o = cmd(&run, &args, true);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("refusing to start an upgrade without confirmation"), "{}", stderr(&o));
    assert_eq!(starts(&run), 0);
    // The refusal is on the record.
    let last = audit(&run).pop().expect("an audit line");
    assert_eq!((last["command"].as_str(), last["result"].as_str()), (Some("upgrade"), Some("refused")), "{last}");
    assert!(last["message"].as_str().unwrap_or("").contains("without confirmation"), "{last}");
}

#[test]
fn a_manager_that_never_returns_times_out_with_exit_2() {
    let run = nine_x(UpgradeOutcome::NeverReturns, 0);
    let o = cmd(&run, &["upgrade", "--target", TARGET, "--yes", "--poll-interval", "100ms", "--return-timeout", "1s"], true);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("did not return within 1s"), "{}", stderr(&o));
    assert!(stderr(&o).contains("contact VMware Support"));
    assert_eq!(audit(&run).last().unwrap()["result"], "not-back");
}

#[test]
fn a_failed_upgrade_is_reported_with_its_subtask() {
    let run = nine_x(UpgradeOutcome::Failed, 0);
    let o = upgrade(&run, &[], true);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("the upgrade FAILED: Pre-upgrade validation failed (subtask PRE_UPGRADE_VALIDATION FAILED: simulated validation failure)"), "{err}");
    assert_eq!(run.sim.sites()[0].current_version(), "9.0.0.0");
    assert_eq!(audit(&run).last().unwrap()["result"], "failed");
}

#[test]
fn a_release_without_the_system_upgrade_api_points_to_the_ui() {
    let run = start(scenario("two-site"));
    std::fs::write(
        run.dir.path().join("hcx-preflight.toml"),
        "[rules]\ndisabled = [\"fact-missing\", \"interconnect-unhealthy\", \"connection-unknown\", \"site-pair-unhealthy\"]\n",
    )
    .unwrap();
    let o = cmd(&run, &["upgrade", "--target", "4.11.0", "--yes", "--poll-interval", "100ms"], false);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("does not offer the System Upgrade API"), "{}", stderr(&o));
    assert!(stderr(&o).contains("Administration > System Updates"));
}

/// The dry run on 4.x probes the same (read-only) endpoint and tells what the real run
/// would do: no API upgrade, "upgrade it in the UI", and the real run's exit code 2.
#[test]
fn a_dry_run_on_4x_tells_the_truth_and_exits_as_the_real_run() {
    let run = start(scenario("two-site"));
    std::fs::write(
        run.dir.path().join("hcx-preflight.toml"),
        "[rules]\ndisabled = [\"fact-missing\", \"interconnect-unhealthy\", \"connection-unknown\", \"site-pair-unhealthy\"]\n",
    )
    .unwrap();
    let dry = cmd(&run, &["upgrade", "--target", "4.11.0", "--dry-run", "--poll-interval", "100ms"], false);
    let err = stderr(&dry);
    let real = cmd(&run, &["upgrade", "--target", "4.11.0", "--yes", "--poll-interval", "100ms"], false);
    assert_eq!(dry.status.code(), real.status.code(), "{err}");
    assert_eq!(dry.status.code(), Some(2), "{err}");
    assert!(err.contains("does not offer the System Upgrade API (HTTP 404); upgrade it in the HCX Manager UI"), "{err}");
    assert!(err.contains("the real run would not upgrade it and would exit 2"), "{err}");
    assert!(err.contains("dry run: nothing was sent to HCX"), "{err}");
    let dry_starts: u64 = 1; // the real run's one attempt, refused with 404
    assert_eq!(starts(&run), dry_starts, "the dry run must not call start");
}

/// `verify --wait` bounds the whole verification, HTTP timeouts and retries included.
#[test]
fn verify_wait_bounds_the_whole_verification() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let o = Command::cargo_bin("hcx-preflight")
        .unwrap()
        .current_dir(dir.path())
        .env("HCX_USERNAME", "u")
        .env("HCX_PASSWORD", "p")
        .env("HCX_ADMIN_PASSWORD", "p")
        .args(["verify", "--target", TARGET, "--wait", "3s", "--poll-interval", "500ms"])
        .args(["--site", &format!("gone=https://127.0.0.1:{port}")])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(took < std::time::Duration::from_millis(4500), "took {took:?}: {}", stderr(&o));
    assert!(stderr(&o).contains("did not answer within 3s"), "{}", stderr(&o));
    // A verify that cannot reach a manager is on the record too (the log is created for it).
    let text = std::fs::read_to_string(dir.path().join("hcx-preflight-audit.jsonl")).expect("the audit log exists");
    let line: serde_json::Value = serde_json::from_str(text.lines().last().expect("a line")).expect("JSON");
    assert_eq!((line["command"].as_str(), line["result"].as_str()), (Some("verify"), Some("failed")), "{line}");
    assert!(line["message"].as_str().unwrap_or("").contains("did not answer within 3s"), "{line}");
    assert!(line["decision"].is_null(), "no decision was made: {line}");
}

#[test]
fn stale_or_mismatched_approved_decisions_are_refused() {
    let run = nine_x(UpgradeOutcome::Success, 500);
    let approved = run.dir.path().join("approved.json");
    let o = cmd(&run, &["check", "--target", TARGET, "--format", "json", "--output", approved.to_str().unwrap(), "--save-snapshot", "approved-snapshot.json"], true);
    assert_eq!(o.status.code(), Some(0), "{}{}", stderr(&o), std::fs::read_to_string(&approved).unwrap_or_default());
    let decision = approved.to_str().unwrap();

    // Another target.
    let o = cmd(&run, &["upgrade", "--target", "9.1.2.0", "--yes", "--decision", decision], true);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("it is for target 9.1.1.0, not 9.1.2.0"), "{}", stderr(&o));

    // Facts that changed since the approval (another /common usage).
    let mut c = Command::cargo_bin("hcx-preflight").unwrap();
    c.current_dir(run.dir.path());
    for (k, v) in &run.env {
        c.env(k, v);
    }
    c.args(["upgrade", "--target", TARGET, "--yes", "--decision", decision, "--ca-cert", run.ca.to_str().unwrap()]);
    c.args(["--site", &run.sim.sites()[0].site_arg()]);
    for a in attestations() {
        c.args(["--attest", &a.replace("common_used_percent=40", "common_used_percent=55")]);
    }
    let o = c.output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("the facts of site mgr9 collected now differ"), "{}", stderr(&o));
    // Named fact by fact, from the snapshot the record rests on: pointer, approved value, value now.
    assert!(stderr(&o).contains("/sites/0/manager/disk_common_used_percent was 40.0, now 55.0"), "{}", stderr(&o));
    let refused = audit(&run).pop().expect("an audit line");
    assert_eq!(refused["result"], "decision-refused");
    assert!(refused["message"].as_str().unwrap_or("").contains("disk_common_used_percent was 40.0, now 55.0"), "{refused}");

    // Too old: the same facts, judged two days ago.
    let old = run.dir.path().join("old.json");
    let two_days_ago = (chrono::Utc::now() - chrono::Duration::days(2)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut c = Command::cargo_bin("hcx-preflight").unwrap();
    c.current_dir(run.dir.path());
    for (k, v) in &run.env {
        c.env(k, v);
    }
    c.args(["check", "--target", TARGET, "--now", &two_days_ago, "--format", "json", "--output", old.to_str().unwrap()]);
    c.args(["--ca-cert", run.ca.to_str().unwrap(), "--site", &run.sim.sites()[0].site_arg()]);
    let then = chrono::Utc::now() - chrono::Duration::days(2);
    let backup_then = (then - chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    for a in attestations() {
        // Stated two days ago too: an attestation (or a backup) later than the evaluation would not count.
        let a = if a.contains("backup.last_success_at") { format!("mgr9.backup.last_success_at={backup_then};evidence=backup job 4711") } else { a };
        c.args(["--attest", &format!("{a};at={two_days_ago}")]);
    }
    let o = c.output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}{}", stderr(&o), String::from_utf8_lossy(&o.stdout));
    let o = cmd(&run, &["upgrade", "--target", TARGET, "--yes", "--decision", old.to_str().unwrap()], true);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("more than 1440 minutes ago"), "{}", stderr(&o));

    assert_eq!(starts(&run), 0, "a refused decision must not start anything");
    assert!(audit(&run).iter().all(|e| e["result"] == "decision-refused"));

    // The same facts, target and phase: accepted, and the upgrade goes ahead (its verify then
    // denies: the site pair was attested before the upgrade, and cloud9 is still on 9.0.0.0).
    let o = cmd(&run, &["upgrade", "--target", TARGET, "--yes", "--decision", decision, "--poll-interval", "100ms"], true);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("matches the estate collected now"), "{}", stderr(&o));
    assert_eq!(starts(&run), 1);
}

/// Site-paired managers upgraded together (`--parallel`): both start before either has
/// finished, both return on the target, and verify passes for the pair.
#[test]
fn parallel_upgrades_both_managers_of_a_pair() {
    let mut s = scenario("nine-x");
    s.sites[0].upgrade.reboot_ms = 1000;
    let mut peer = s.sites[0].clone();
    peer.name = "peer9".into();
    peer.manager.endpoint_type = Some("CLOUD".into());
    peer.cloud_configs = vec![];
    s.sites.push(peer);
    // mgr9's site pair is the collected peer9.
    s.sites[0].cloud_configs[0]["cloudName"] = "peer9".into();
    let run = start(s);
    let fresh = || {
        let mut extra: Vec<String> = attestations().iter().map(|a| a.replace("site_pairs.cloud9", "site_pairs.peer9")).collect();
        extra.extend(attestations().iter().filter(|a| !a.contains("site_pairs")).map(|a| a.replacen("mgr9.", "peer9.", 1)));
        // Cloud Director and RabbitMQ: no API tells, so the cloud side states them.
        extra.push("peer9.connections.cloud_director.status=not_in_use;evidence=no Cloud Director in this cloud".into());
        extra.push("peer9.connections.rmq.status=not_in_use;evidence=no Cloud Director in this cloud".into());
        extra
    };
    let extra = fresh();
    let mut c = Command::cargo_bin("hcx-preflight").unwrap();
    c.current_dir(run.dir.path());
    for (k, v) in &run.env {
        c.env(k, v);
    }
    c.args(["upgrade", "--target", TARGET, "--yes", "--parallel", "--poll-interval", "100ms", "--return-timeout", "5s"]);
    c.args(["--ca-cert", run.ca.to_str().unwrap()]);
    for site in run.sim.sites() {
        c.args(["--site", &site.site_arg()]);
    }
    for a in &extra {
        c.args(["--attest", a]);
    }
    let o = c.timeout(std::time::Duration::from_secs(120)).output().unwrap();
    let err = stderr(&o);
    // The verify after the upgrade does not count the attestations made before it.
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("upgrade plan (in parallel)"), "{err}");
    for site in run.sim.sites() {
        assert_eq!(site.requests(upgrade_api::START), 1, "{}", site.name);
        assert_eq!(site.current_version(), TARGET);
    }
    // Both started before the first one came back.
    let started: Vec<usize> = ["mgr9: upgrade to", "peer9: upgrade to"].iter().map(|m| err.find(m).expect("started")).collect();
    let first_back = err.find("the manager is back").expect("back");
    assert!(started.iter().all(|s| *s < first_back), "{err}");
    let results: Vec<String> = audit(&run).iter().map(|e| format!("{} {}", e["site"].as_str().unwrap_or("-"), e["result"].as_str().unwrap())).collect();
    assert_eq!(results, ["mgr9 success", "peer9 success", "mgr9 verify-denied", "peer9 verify-denied"]);
    // Attested again after the upgrade: verified.
    let mut c = Command::cargo_bin("hcx-preflight").unwrap();
    c.current_dir(run.dir.path());
    for (k, v) in &run.env {
        c.env(k, v);
    }
    c.args(["verify", "--target", TARGET, "--ca-cert", run.ca.to_str().unwrap()]);
    for site in run.sim.sites() {
        c.args(["--site", &site.site_arg()]);
    }
    for a in &fresh() {
        c.args(["--attest", a]);
    }
    let o = c.timeout(std::time::Duration::from_secs(120)).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}{}", stderr(&o), String::from_utf8_lossy(&o.stdout));
    assert!(stderr(&o).contains("verified: the managers report 9.1.1.0"), "{}", stderr(&o));
}
