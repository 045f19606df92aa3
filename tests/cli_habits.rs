//! The command layer's habits: exit codes, a closed pipe, one printer (nothing prints
//! outside it), --quiet/--verbose/--color/--ascii, the table width, --output's decision line.

use std::path::Path;
use std::process::{Command as StdCommand, Output, Stdio};

use assert_cmd::Command;

use crate::common::{files_under, fixture, root};

const NOW: &str = "2026-11-29T09:05:00Z";

/// The binary with no colour or width from the environment of whoever runs the tests.
fn bin() -> Command {
    let mut c = Command::cargo_bin("hcx-preflight").expect("binary");
    c.current_dir(root())
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("COLUMNS")
        .env("TERM", "xterm")
        .env_remove("HCX_PASSWORD");
    c
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn check_args(snapshot: &str) -> Vec<String> {
    ["check", "--snapshot", snapshot, "--target", "4.4.2", "--now", NOW].map(String::from).to_vec()
}

/// `hcx-preflight schema | head -0`: the reader is gone before the first byte is
/// written; the command ends quietly with 0, as ripgrep does.
#[test]
fn a_closed_pipe_ends_quietly() {
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("hcx-preflight"))
        .current_dir(root())
        .arg("schema")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
}

/// The library never prints and never exits: only the command layer (`src/cli/`,
/// `src/main.rs`) writes to stdout/stderr and decides the exit code. (`src/bin/` holds
/// other binaries, which print for themselves.)
#[test]
fn nothing_prints_outside_the_printer() {
    let src = root().join("src");
    let files = files_under(&src, "rs");
    let allowed = |p: &Path| p.starts_with(src.join("cli")) || p.starts_with(src.join("bin")) || p == src.join("main.rs");
    let mut offences = Vec::new();
    for file in files.iter().filter(|p| !allowed(p)) {
        let text = std::fs::read_to_string(file).expect("read");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for needle in ["println!", "print!(", "eprint!(", "dbg!(", "process::exit", "io::stdout()", "io::stderr()"] {
                if code.contains(needle) {
                    offences.push(format!("{}:{}: {}", file.strip_prefix(&root()).unwrap().display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(files.len() > 50, "the walk found the sources");
    assert!(offences.is_empty(), "output outside the printer:\n{}", offences.join("\n"));
}

/// `--output FILE` writes the report there and says the decision on stderr; `--quiet`
/// keeps stderr silent; both are accepted before or after the command's name.
#[test]
fn output_file_says_the_decision_on_stderr_unless_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.txt");
    let mut args = check_args(&fixture("local-fqdn-4.3.json"));
    args.extend(["--output".into(), report.display().to_string()]);
    let o = bin().args(&args).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(out(&o), "");
    let written = std::fs::read_to_string(&report).unwrap();
    let last = written.lines().last().unwrap();
    assert!(last.starts_with("decision: ALLOW ("), "{written}");
    assert_eq!(err(&o), format!("{last}\n"));
    let o = bin().arg("-q").args(&args).output().unwrap();
    assert_eq!((o.status.code(), err(&o)), (Some(0), String::new()));
    let o = bin().args(&args).arg("--quiet").output().unwrap();
    assert_eq!((o.status.code(), err(&o)), (Some(0), String::new()));
}

/// `--verbose` on `check` names the engine; `-q -v` together is a usage error.
#[test]
fn verbose_and_quiet() {
    let args = check_args(&fixture("two-site-healthy.json"));
    let o = bin().args(&args).arg("-v").output().unwrap();
    assert!(err(&o).starts_with("engine: "), "{}", err(&o));
    let o = bin().args(&args).args(["-q", "-v"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("cannot be used with"), "{}", err(&o));
}

/// `--color always` colours the table even into a pipe; `auto` does not (not a terminal),
/// nor does `never`; `NO_COLOR` is honoured by `auto`; the error label is coloured on
/// stderr only with `always`.
#[test]
fn color_choice() {
    let args = check_args(&fixture("local-fqdn-4.3.json"));
    let always = bin().args(&args).args(["--color", "always"]).output().unwrap();
    assert!(out(&always).contains("\x1b[1m\x1b[33mWARN\x1b[0m (12)"), "{}", out(&always));
    for extra in [&["--color", "never"][..], &["--color", "auto"][..], &[][..]] {
        let o = bin().args(&args).args(extra).output().unwrap();
        assert!(!out(&o).contains('\x1b'), "{extra:?}: {}", out(&o));
    }
    let o = bin().args(&args).env("NO_COLOR", "1").output().unwrap();
    assert!(!out(&o).contains('\x1b'));
    let bad = bin().args(["check", "--snapshot", "no-such.json", "--target", "4.4.2", "--color", "always"]).output().unwrap();
    assert!(err(&bad).starts_with("\x1b[1m\x1b[31merror:\x1b[0m "), "{}", err(&bad));
    let bad = bin().args(["check", "--snapshot", "no-such.json", "--target", "4.4.2"]).output().unwrap();
    assert!(err(&bad).starts_with("error: "), "{}", err(&bad));
}

/// `--ascii` and `TERM=dumb` draw the table with ASCII only; `COLUMNS` sets its width
/// (80 when stdout is not a terminal and `COLUMNS` is unset).
#[test]
fn table_characters_and_width() {
    let args = check_args(&fixture("local-fqdn-4.3.json"));
    let unicode = out(&bin().args(&args).output().unwrap());
    assert!(unicode.contains('┌'));
    assert_eq!(unicode.lines().map(|l| l.chars().count()).max(), Some(80));
    for o in [
        bin().args(&args).arg("--ascii").output().unwrap(),
        bin().args(&args).env("TERM", "dumb").output().unwrap(),
    ] {
        let text = out(&o);
        assert!(text.is_ascii(), "{text}");
        assert!(text.contains("+-------------------------+"), "{text}");
    }
    let wide = out(&bin().args(&args).env("COLUMNS", "120").output().unwrap());
    assert_eq!(wide.lines().map(|l| l.chars().count()).max(), Some(120));
    assert!(wide.lines().count() < unicode.lines().count());
}

/// A word longer than the Finding column (here a 70-character FQDN) widens the column
/// instead of being split mid-word.
#[test]
fn long_words_are_not_split() {
    let long = "hcx-connector.a-very-long-subdomain-name-kept-whole-in-the-table.corp.local";
    let text = std::fs::read_to_string(fixture("local-fqdn-4.3.json")).unwrap().replace("hcx-connector.corp.local", long);
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("long.json");
    std::fs::write(&snapshot, text).unwrap();
    let o = bin().args(check_args(&snapshot.display().to_string())).output().unwrap();
    let table = out(&o);
    assert!(table.lines().any(|l| l.contains(long)), "{table}");
}

/// "At least one --site" is said once, by the collector, for every command that collects.
#[test]
fn at_least_one_site() {
    for args in [
        &["upgrade", "--target", "9.1.1.0", "--yes"][..],
        &["verify", "--target", "9.1.1.0"][..],
        &["collect", "--out", "x.json"][..],
    ] {
        let o = bin().args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(err(&o).contains("name at least one HCX Manager with --site NAME=URL"), "{args:?}: {}", err(&o));
    }
}

/// The subcommands a user can run (the man page and completions name each).
const SUBCOMMANDS: [&str; 10] = ["check", "collect", "plan", "upgrade", "verify", "schema", "policy", "inventory", "completions", "man"];

/// `completions SHELL` prints a script for each shell that knows the subcommands.
#[test]
fn shell_completions() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let o = bin().args(["completions", shell]).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", err(&o));
        let script = out(&o);
        for sub in ["check", "upgrade", "verify"] {
            assert!(script.contains(sub), "{shell} completion lacks {sub}");
        }
        assert!(script.contains("--snapshot"), "{shell} completion lacks --snapshot");
    }
    assert!(out(&bin().args(["completions", "bash"]).output().unwrap()).contains("-o default hcx-preflight"));
    let o = bin().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

/// `man` prints a roff page that names every subcommand; `man --out-dir` writes one page
/// per command; where `man` is installed, the page renders.
#[test]
fn man_page() {
    let o = bin().arg("man").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let page = out(&o);
    assert!(page.contains(".TH hcx-preflight 1"), "{page}");
    for sub in SUBCOMMANDS {
        assert!(page.contains(&format!("hcx\\-preflight\\-{sub}(1)")), "the man page does not name {sub}");
    }
    let dir = tempfile::tempdir().unwrap();
    let o = bin().args(["man", "--out-dir"]).arg(dir.path()).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    for sub in SUBCOMMANDS {
        assert!(dir.path().join(format!("hcx-preflight-{sub}.1")).is_file(), "no page for {sub}");
    }
    let man = StdCommand::new("man").arg("-l").arg(dir.path().join("hcx-preflight-check.1")).env("MANWIDTH", "80").env("MAN_KEEP_FORMATTING", "0").output();
    if let Some(rendered) = man.ok().filter(|o| o.status.success()) {
        let text = String::from_utf8_lossy(&rendered.stdout);
        assert!(text.contains("--snapshot"), "{text}");
    }
}

/// `--version` and `-V` on every command name regorus's version and the digest of the
/// built-in policy set, the same digest a decision without organisation policies records.
#[test]
fn version_names_regorus_and_the_policy_digest() {
    let decision = bin()
        .args(["check", "--snapshot", &fixture("two-site-healthy.json"), "--target", "4.4.2", "--now", NOW, "--format", "json"])
        .output()
        .unwrap();
    let record: serde_json::Value = serde_json::from_slice(&decision.stdout).expect("decision record");
    let digest = record["policy_sha256"].as_str().expect("policy_sha256").to_string();
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).unwrap();
    let regorus = lock.split("name = \"regorus\"\nversion = \"").nth(1).and_then(|r| r.split('"').next()).expect("regorus in Cargo.lock");
    for args in [&["--version"][..], &["-V"][..], &["check", "-V"][..], &["upgrade", "--version"][..], &["policy", "list", "-V"][..]] {
        let o = bin().args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        let text = out(&o);
        assert!(text.contains(&format!("regorus {regorus}")), "{args:?}: {text}");
        assert!(text.contains(&format!("built-in policy set sha256 {digest}")), "{args:?}: {text}");
    }
}

/// `check --help` lists the exit codes; every flag of `upgrade` and `verify` is described.
#[test]
fn help_says_exit_codes_and_describes_every_flag() {
    let help = out(&bin().args(["check", "--help"]).output().unwrap());
    assert!(help.contains("Exit codes:\n  0  allowed"), "{help}");
    assert!(help.contains("  1  denied by policy") && help.contains("  2  the tool could not decide"), "{help}");
    for cmd in ["upgrade", "verify"] {
        let help = out(&bin().args([cmd, "--help"]).output().unwrap());
        assert!(help.contains("Exit codes: 0 "), "{cmd}: {help}");
        let lines: Vec<&str> = help.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let flag = line.trim_start();
            if line.starts_with("  ") && flag.starts_with('-') && !line.starts_with("      ") || line.starts_with("      --") {
                let next = lines.get(i + 1).map(|l| l.trim()).unwrap_or("");
                // Without a description, clap goes on with `[default: ...]`, the possible
                // values, a blank line or the next flag.
                let described = !next.is_empty() && !next.starts_with(['-', '[']) && !next.starts_with("Possible values");
                assert!(described, "{cmd}: `{flag}` has no description");
            }
        }
    }
}

/// `--output` with an extension: the format follows it when `--format` is not given, and
/// a `--format` that contradicts it is refused (exit 2, nothing written).
#[test]
fn output_extension_and_format() {
    let dir = tempfile::tempdir().unwrap();
    let args = check_args(&fixture("two-site-healthy.json"));
    let sarif = dir.path().join("r.sarif");
    let o = bin().args(&args).arg("--output").arg(&sarif).output().unwrap();
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).expect("SARIF is JSON");
    assert_eq!(v["version"], "2.1.0");
    let md = dir.path().join("r.md");
    bin().args(&args).arg("--output").arg(&md).output().unwrap();
    assert!(std::fs::read_to_string(&md).unwrap().starts_with('#'));
    let refused = dir.path().join("refused.sarif");
    let o = bin().args(&args).args(["--format", "table", "--output"]).arg(&refused).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("--format table does not fit --output") && err(&o).contains(".txt"), "{}", err(&o));
    assert!(!refused.exists());
    let json = dir.path().join("r.json");
    let o = bin().args(&args).args(["--format", "sarif", "--output"]).arg(&json).output().unwrap();
    assert!(matches!(o.status.code(), Some(0 | 1)), "SARIF in a .json file is fine: {}", err(&o));
}

/// A bad `--now` shows the expected form.
#[test]
fn a_bad_now_shows_the_expected_form() {
    let o = bin().args(["check", "--snapshot", &fixture("two-site-healthy.json"), "--target", "4.4.2", "--now", "yesterday"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("`yesterday` is not an RFC 3339 time such as 2026-11-29T09:05:00Z"), "{}", err(&o));
}
