//! No secret ever leaks: the whole pipeline (collect, check in every format, upgrade,
//! verify, a rejected password, --password-stdin) runs against the simulator with known
//! secret values, and neither stdout, stderr, the snapshot, the reports nor the audit log
//! contain a password, a session token or the Basic authorization value.

use std::path::Path;

use assert_cmd::Command;
use base64::Engine as _;

use super::collect::{scenario, start, Run};

const SSO_PASSWORD: &str = "Sso-Secret-5fQ2x9";
const ADMIN_PASSWORD: &str = "Admin-Secret-8Lm3v";
const TOKEN: &str = "Token-Secret-Zk41w";
const WRONG_PASSWORD: &str = "Wrong-Secret-Qa77p";

fn secrets(username: &str) -> Vec<String> {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("admin:{ADMIN_PASSWORD}"));
    let sso_basic = base64::engine::general_purpose::STANDARD.encode(format!("{username}:{SSO_PASSWORD}"));
    vec![SSO_PASSWORD.into(), ADMIN_PASSWORD.into(), TOKEN.into(), WRONG_PASSWORD.into(), basic, sso_basic]
}

fn run_with_secrets() -> Run {
    let mut s = scenario("nine-x");
    s.sites[0].credentials.password = SSO_PASSWORD.into();
    s.sites[0].credentials.admin_password = ADMIN_PASSWORD.into();
    s.sites[0].credentials.token = Some(TOKEN.into());
    s.sites[0].upgrade.reboot_ms = 300;
    start(s)
}

fn hcx(run: &Run, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> (Option<i32>, String) {
    let mut c = Command::cargo_bin("hcx-preflight").expect("binary");
    c.current_dir(run.dir.path()).env("NO_COLOR", "1").env("RUST_BACKTRACE", "1");
    for (k, v) in env {
        c.env(k, v);
    }
    c.args(args).args(["--site", &run.sim.sites()[0].site_arg(), "--ca-cert", run.ca.to_str().expect("path")]);
    if let Some(input) = stdin {
        c.write_stdin(input);
    }
    let o = c.timeout(std::time::Duration::from_secs(120)).output().expect("run");
    (o.status.code(), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
}

fn every_file(dir: &Path, out: &mut String) {
    for e in std::fs::read_dir(dir).expect("dir") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            every_file(&p, out);
        } else {
            out.push_str(&String::from_utf8_lossy(&std::fs::read(&p).expect("read")));
        }
    }
}

#[test]
fn no_secret_reaches_any_output_file_or_message() {
    let run = run_with_secrets();
    let user = run.sim.sites()[0].name.clone();
    let username = scenario("nine-x").sites[0].credentials.username.clone();
    let up = user.to_uppercase();
    let env_user = format!("HCX_{up}_USERNAME");
    let env_admin = format!("HCX_{up}_ADMIN_PASSWORD");
    let good: Vec<(&str, &str)> = vec![(&env_user, &username), ("HCX_PASSWORD", SSO_PASSWORD), (&env_admin, ADMIN_PASSWORD)];
    let backup = (chrono::Utc::now() - chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let attest = [
        format!("--attest=mgr9.backup.last_success_at={backup};evidence=job 4711"),
        "--attest=mgr9.manager.disk_common_used_percent=40;evidence=df".to_string(),
        "--attest=mgr9.site_pairs.cloud9.status=healthy;evidence=UI".to_string(),
    ];
    let attest: Vec<&str> = attest.iter().map(String::as_str).collect();
    let mut transcript = String::new();
    fn step_exits(run: &Run, transcript: &mut String, want: i32, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) {
        let (code, text) = hcx(run, args, env, stdin);
        assert_eq!(code, Some(want), "{args:?}: {text}");
        transcript.push_str(&text);
    }
    fn step(run: &Run, transcript: &mut String, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) {
        step_exits(run, transcript, 0, args, env, stdin)
    }

    step(&run, &mut transcript, &["collect", "--out", "snapshot.json"], &good, None);
    for format in ["table", "json", "junit", "sarif", "markdown"] {
        let out = format!("report.{format}");
        let mut args = vec!["check", "--target", "9.1.1.0", "--format", format, "--output", &out, "--save-snapshot", "saved.json"];
        args.extend(&attest);
        step(&run, &mut transcript, &args, &good, None);
    }
    // The upgrade succeeds; its verify, and the verify after it, deny (exit 1): the paired
    // manager cloud9 is still on 9.0.0.0, and the upgrade's verify does not count the earlier
    // attestations. Their outputs are checked for secrets all the same.
    let mut args = vec!["upgrade", "--target", "9.1.1.0", "--yes", "--poll-interval", "100ms"];
    args.extend(&attest);
    step_exits(&run, &mut transcript, 1, &args, &good, None);
    let mut args = vec!["verify", "--target", "9.1.1.0"];
    args.extend(&attest);
    step_exits(&run, &mut transcript, 1, &args, &good, None);
    // The password from stdin instead of the environment.
    let stdin_env: Vec<(&str, &str)> = vec![(&env_user, &username), (&env_admin, ADMIN_PASSWORD)];
    step(&run, &mut transcript, &["collect", "--out", "stdin.json", "--password-stdin"], &stdin_env, Some(&format!("{SSO_PASSWORD}\n")));
    // A rejected password: a clear error that does not repeat it.
    let bad: Vec<(&str, &str)> = vec![(&env_user, &username), ("HCX_PASSWORD", WRONG_PASSWORD), (&env_admin, ADMIN_PASSWORD)];
    let (code, text) = hcx(&run, &["collect", "--out", "never.json"], &bad, None);
    assert_eq!(code, Some(2));
    assert!(text.contains("credentials rejected"), "{text}");
    transcript.push_str(&text);
    assert!(!run.dir.path().join("never.json").exists());

    let mut files = String::new();
    every_file(run.dir.path(), &mut files);
    assert!(files.contains("\"schema_version\": 1") && files.contains("\"result\":\"success\""), "the outputs were written");
    for secret in secrets(&username) {
        assert!(!transcript.contains(&secret), "`{secret}` leaked into stdout/stderr");
        assert!(!files.contains(&secret), "`{secret}` leaked into a file");
    }
}
