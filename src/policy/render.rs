//! The output of the policy tooling (`policy list`, `explain`, `check`, `test`),
//! rendered over any [`io::Write`], as the report formats are: the command layer
//! parses the arguments, calls these, and decides where the bytes go.

use std::collections::BTreeMap;
use std::io::{self, Write};

use comfy_table::presets::{ASCII_FULL_CONDENSED, UTF8_FULL_CONDENSED};
use comfy_table::{ColumnConstraint, ContentArrangement, Table, Width};

use super::lint::CheckReport;
use super::test::TestRun;
use super::PolicySet;
use crate::findings::Severity;
use crate::text::{plural, RenderOptions};

/// The widest line of the source column that `policy list` keeps whole.
const MAX_SOURCE_WIDTH: usize = 24;

/// A rule's severity as the set applies it: the config's override or the catalog's,
/// and whether the config disables it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Effective {
    pub severity: Severity,
    /// The catalog's severity, when the config overrides it.
    pub default: Option<Severity>,
    pub disabled: bool,
}

impl Effective {
    /// The effective severity of rule `id` (in the catalog) under the set's config.
    pub fn of(set: &PolicySet, id: &str, catalog_severity: Severity) -> Self {
        let config = set.config();
        let severity = config.severity.get(id).copied().unwrap_or(catalog_severity);
        Effective {
            severity,
            default: (severity != catalog_severity).then_some(catalog_severity),
            disabled: config.disabled.iter().any(|d| d == id),
        }
    }

    /// `warn`, `warn (was deny)` (overridden), `disabled (was warn)`: short enough for a
    /// narrow table cell.
    fn cell(&self) -> String {
        let mut text = if self.disabled { "disabled".to_string() } else { self.severity.as_str().to_string() };
        match (self.disabled, self.default) {
            (true, _) => text.push_str(&format!("\n(was {})", self.severity.as_str())),
            (false, Some(d)) => text.push_str(&format!("\n(was {})", d.as_str())),
            (false, None) => {}
        }
        text
    }
}

/// `policy list`: one row per rule (id, effective severity, title with its KB, the
/// files that emit it), at most `opts.width` columns wide (80 unless the terminal is
/// wider), ASCII-only with `opts.ascii`. Ids and severities are never split; titles
/// and paths wrap.
pub fn list(set: &PolicySet, sources: &BTreeMap<String, Vec<String>>, opts: RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let mut table = Table::new();
    table
        .load_preset(if opts.ascii { ASCII_FULL_CONDENSED } else { UTF8_FULL_CONDENSED })
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(opts.width)
        .set_header(vec!["id", "severity", "title", "source"]);
    let mut id_width = 2;
    let mut source_width = 6;
    for (id, entry) in set.catalog() {
        id_width = id_width.max(id.chars().count());
        let source = sources.get(id).map(|s| s.iter().map(|f| wrap_path(f)).collect::<Vec<_>>().join("\n")).unwrap_or_else(|| "-".into());
        // Built-in folders stay whole; a long organisation path may still wrap.
        source_width = source_width.max(source.lines().map(|l| l.chars().count()).max().unwrap_or(0).min(MAX_SOURCE_WIDTH));
        let title = match &entry.kb {
            Some(kb) => format!("{} (KB {kb})", entry.title),
            None => entry.title.clone(),
        };
        table.add_row(vec![
            id.clone(),
            Effective::of(set, id, entry.severity).cell(),
            title,
            source,
        ]);
    }
    // The boundary counts the cell padding (one space each side) too.
    let fixed = |w: usize| ColumnConstraint::LowerBoundary(Width::Fixed(u16::try_from(w + 2).unwrap_or(u16::MAX)));
    for (column, width) in [(0, id_width), (1, "disabled".len()), (3, source_width)] {
        if let Some(c) = table.column_mut(column) {
            c.set_constraint(fixed(width));
        }
    }
    writeln!(out, "{table}")
}

/// A path as its folder and its file name on two lines, so that a narrow cell wraps
/// it at the last `/` rather than inside a name.
fn wrap_path(path: &str) -> String {
    match path.rsplit_once('/') {
        Some((dir, file)) => format!("{dir}/\n{file}"),
        None => path.to_string(),
    }
}

/// `policy explain ID` for a rule of the catalog; `false` (and nothing written) when
/// the id is not in it.
pub fn explain(set: &PolicySet, id: &str, sources: &BTreeMap<String, Vec<String>>, out: &mut dyn Write) -> io::Result<bool> {
    let Some(e) = set.catalog().get(id) else {
        return Ok(false);
    };
    let effective = Effective::of(set, id, e.severity);
    writeln!(out, "{id}: {}\n", e.title)?;
    write!(out, "severity:    {}", effective.severity.as_str())?;
    if let Some(default) = effective.default {
        write!(out, " (default {}, overridden by the config)", default.as_str())?;
    }
    writeln!(out)?;
    if let Some(kb) = &e.kb {
        writeln!(out, "kb:          {kb} {}", crate::findings::kb_url(kb))?;
    }
    if let Some(when) = &e.when {
        writeln!(out, "when:        {when}")?;
    }
    writeln!(out, "remediation: {}", e.remediation)?;
    for (i, r) in e.references.iter().enumerate() {
        writeln!(out, "{}{r}", if i == 0 { "references:  " } else { "             " })?;
    }
    let files = sources.get(id).map(|s| s.join(", ")).unwrap_or_default();
    writeln!(out, "source:      {files}")?;
    if effective.disabled {
        writeln!(out, "status:      disabled by the config")?;
    }
    Ok(true)
}

/// `policy check`: every problem, every warning (`warning: ...`), then `ok: ...` or
/// the count of problems.
pub fn check(report: &CheckReport, out: &mut dyn Write) -> io::Result<()> {
    for p in &report.problems {
        writeln!(out, "{p}")?;
    }
    for w in &report.warnings {
        writeln!(out, "warning: {w}")?;
    }
    if report.problems.is_empty() {
        let (modules, tests) = (plural(report.modules, "module", "modules"), plural(report.tests, "test module", "test modules"));
        writeln!(out, "ok: {modules}, {tests}, {}", plural(report.catalog_ids, "catalog id", "catalog ids"))
    } else {
        writeln!(out, "{}", plural(report.problems.len(), "problem", "problems"))
    }
}

/// `policy test`: one line per test, coverage per file and in total (with
/// `uncovered`, the lines no test reached as `file:from-to`), and the closing line
/// `N passed, M failed`.
pub fn test_text(run: &TestRun, uncovered: bool, out: &mut dyn Write) -> io::Result<()> {
    for o in &run.outcomes {
        match &o.result {
            Ok(()) => writeln!(out, "PASS {} ({}:{})", o.name, o.file, o.line)?,
            Err(why) => {
                writeln!(out, "FAIL {} ({}:{})", o.name, o.file, o.line)?;
                for line in why.lines() {
                    writeln!(out, "     {line}")?;
                }
            }
        }
    }
    writeln!(out, "\ncoverage:")?;
    for c in &run.coverage {
        let lines = format!("{}/{}", c.covered, c.covered + c.uncovered.len());
        writeln!(out, "  {:>5.1}%  {lines:>9} lines  {}", c.percent(), c.file)?;
    }
    let covered: usize = run.coverage.iter().map(|c| c.covered).sum();
    let total: usize = run.coverage.iter().map(|c| c.covered + c.uncovered.len()).sum();
    writeln!(out, "total coverage: {:.1}% ({covered}/{total} lines)\n", run.coverage_percent())?;
    if uncovered {
        let ranges: Vec<String> = run
            .coverage
            .iter()
            .flat_map(|c| c.uncovered_ranges().into_iter().map(move |r| format!("{}:{}", c.file, range(r))))
            .collect();
        if ranges.is_empty() {
            writeln!(out, "uncovered lines: none\n")?;
        } else {
            writeln!(out, "uncovered lines:")?;
            for r in ranges {
                writeln!(out, "  {r}")?;
            }
            writeln!(out)?;
        }
    }
    writeln!(out, "{} passed, {} failed", run.passed(), run.failed())
}

fn range((from, to): (u64, u64)) -> String {
    if from == to {
        from.to_string()
    } else {
        format!("{from}-{to}")
    }
}

/// `policy test --format json`: the tests, the coverage per file with the uncovered
/// lines, and the counts, as one JSON document.
pub fn test_json(run: &TestRun, out: &mut dyn Write) -> io::Result<()> {
    let tests: Vec<serde_json::Value> = run
        .outcomes
        .iter()
        .map(|o| {
            let mut t = serde_json::json!({ "name": o.name, "file": o.file, "line": o.line, "passed": o.result.is_ok() });
            if let Err(why) = &o.result {
                t["error"] = why.clone().into();
            }
            t
        })
        .collect();
    let files: Vec<serde_json::Value> = run
        .coverage
        .iter()
        .map(|c| {
            serde_json::json!({
                "file": c.file,
                "covered": c.covered,
                "lines": c.covered + c.uncovered.len(),
                "percent": round(c.percent()),
                "uncovered": c.uncovered_ranges().into_iter().map(range).collect::<Vec<_>>(),
            })
        })
        .collect();
    let doc = serde_json::json!({
        "tests": tests,
        "passed": run.passed(),
        "failed": run.failed(),
        "coverage": { "percent": round(run.coverage_percent()), "files": files },
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// A percentage with one decimal, as the text shows it.
fn round(p: f64) -> f64 {
    (p * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::test::{FileCoverage, TestOutcome};
    use crate::policy::LoadOptions;

    fn text(f: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut buf = Vec::new();
        f(&mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    fn run() -> TestRun {
        TestRun {
            outcomes: vec![
                TestOutcome { name: "data.t.test_a".into(), file: "t_test.rego".into(), line: 3, result: Ok(()) },
                TestOutcome { name: "data.t.test_b".into(), file: "t_test.rego".into(), line: 5, result: Err("false".into()) },
            ],
            coverage: vec![FileCoverage { file: "t.rego".into(), covered: 3, uncovered: vec![7, 8, 9, 12] }],
        }
    }

    fn set_with_config(config: &str) -> PolicySet {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, config).unwrap();
        PolicySet::load(&LoadOptions { config: Some(path), ..Default::default() }).unwrap()
    }

    #[test]
    fn test_text_lists_the_uncovered_lines_only_when_asked() {
        let plain = text(|o| test_text(&run(), false, o));
        assert!(plain.contains("FAIL data.t.test_b (t_test.rego:5)\n     false\n"), "{plain}");
        assert!(plain.contains("   42.9%        3/7 lines  t.rego\n"), "{plain}");
        assert!(!plain.contains("uncovered"), "{plain}");
        assert!(plain.ends_with("\n1 passed, 1 failed\n"), "{plain}");
        let with = text(|o| test_text(&run(), true, o));
        assert!(with.contains("uncovered lines:\n  t.rego:7-9\n  t.rego:12\n\n1 passed, 1 failed\n"), "{with}");
    }

    #[test]
    fn test_json_has_tests_counts_and_uncovered_ranges() {
        let doc: serde_json::Value = serde_json::from_str(&text(|o| test_json(&run(), o))).unwrap();
        assert_eq!(doc["passed"], 1);
        assert_eq!(doc["failed"], 1);
        assert_eq!(doc["tests"][1], serde_json::json!({"name": "data.t.test_b", "file": "t_test.rego", "line": 5, "passed": false, "error": "false"}));
        assert_eq!(doc["coverage"]["files"][0]["uncovered"], serde_json::json!(["7-9", "12"]));
        assert_eq!(doc["coverage"]["percent"], 42.9);
    }

    #[test]
    fn list_fits_80_columns_and_shows_the_effective_severity() {
        let set = set_with_config("[rules]\ndisabled = [\"version-skew\"]\n[rules.severity]\nbackup-missing = \"warn\"\n");
        let sources = set.rule_sources().unwrap();
        let out = text(|o| list(&set, &sources, RenderOptions::default(), o));
        for line in out.lines() {
            assert!(line.chars().count() <= 80, "{} columns: {line}", line.chars().count());
        }
        let row = |id: &str| -> Vec<String> {
            // A rule's row and its continuation lines, up to the next separator.
            let lines: Vec<&str> = out.lines().collect();
            let at = lines.iter().position(|l| l.contains(&format!(" {id} "))).unwrap_or_else(|| panic!("{id} in {out}"));
            lines[at..].iter().take_while(|l| !l.starts_with('├') && !l.starts_with('└')).map(|l| l.to_string()).collect()
        };
        let backup = row("backup-missing").join("\n");
        assert!(backup.contains(" warn ") && backup.contains("(was deny)"), "{backup}");
        assert!(backup.contains("policies/hcx/rules/") && backup.contains(" backup.rego "), "{backup}");
        let skew = row("version-skew").join("\n");
        assert!(skew.contains(" disabled ") && skew.contains("(was "), "{skew}");
        let builtin = PolicySet::builtin().unwrap();
        let ascii = RenderOptions { ascii: true, ..Default::default() };
        let plain = text(|o| list(&builtin, &builtin.rule_sources().unwrap(), ascii, o));
        assert!(!plain.contains("disabled") && !plain.contains("(was"), "{plain}");
        assert!(plain.is_ascii(), "{plain}");
        assert!(plain.contains(" upgrade-path-unsupported "), "an id is never split: {plain}");
    }

    #[test]
    fn check_lists_problems_then_warnings_then_the_count() {
        let problem = |file: &str, message: &str| crate::policy::lint::Problem { file: file.into(), line: Some(3), message: message.into() };
        let report = CheckReport {
            modules: 2,
            tests: 1,
            catalog_ids: 4,
            problems: vec![problem("a.rego", "bad")],
            warnings: vec![problem("b.rego", "no evidence")],
        };
        assert_eq!(text(|o| check(&report, o)), "a.rego:3: bad\nwarning: b.rego:3: no evidence\n1 problem\n");
        let clean = CheckReport { problems: Vec::new(), warnings: Vec::new(), ..report };
        assert_eq!(text(|o| check(&clean, o)), "ok: 2 modules, 1 test module, 4 catalog ids\n");
    }

    #[test]
    fn explain_shows_the_override_and_says_no_for_an_unknown_id() {
        let set = set_with_config("[rules.severity]\nbackup-missing = \"warn\"\n");
        let sources = set.rule_sources().unwrap();
        let out = text(|o| explain(&set, "backup-missing", &sources, o).map(|found| assert!(found)));
        assert!(out.contains("severity:    warn (default deny, overridden by the config)\n"), "{out}");
        assert!(out.contains("source:      policies/hcx/rules/backup.rego"), "{out}");
        assert_eq!(text(|o| explain(&set, "backup-mising", &sources, o).map(|found| assert!(!found))), "");
    }
}
