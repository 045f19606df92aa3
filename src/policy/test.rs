//! `policy test`: Rego unit tests, as `opa test` runs them.
//!
//! Every rule named `test_*` in a `*_test.rego` module (built-in and organisation)
//! is one test, evaluated on its own (`eval_rule` on `data.<package>.test_x`) against
//! the whole policy set and its data: `true` passes; `false`, undefined or an error
//! fails (with the error). Tests set their own input with `with input as {...}`.
//! Line coverage comes from regorus' coverage report over the policy modules (the
//! test modules themselves are not counted).

use std::collections::BTreeSet;
use std::io::{self, Write};

use crate::policy::{ast, PolicyError, PolicySet};

/// One test and its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestOutcome {
    /// The full rule path, `data.hcx.rules.backup_test.test_fires`.
    pub name: String,
    /// The test file and the line of the test's first definition.
    pub file: String,
    pub line: u64,
    /// `Err` with why it failed (false, undefined, or the evaluation error).
    pub result: Result<(), String>,
}

/// Line coverage of one policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCoverage {
    /// The policy file (`policies/hcx/...` or the org file).
    pub file: String,
    /// Lines that some test evaluated.
    pub covered: usize,
    /// Evaluable lines that no test reached.
    pub not_covered: usize,
}

impl FileCoverage {
    /// Covered lines in percent (100 for a file without evaluable lines).
    pub fn percent(&self) -> f64 {
        percent(self.covered, self.not_covered)
    }
}

fn percent(covered: usize, not_covered: usize) -> f64 {
    let total = covered + not_covered;
    if total == 0 {
        100.0
    } else {
        covered as f64 * 100.0 / total as f64
    }
}

/// The result of a test run.
#[derive(Debug, Clone, PartialEq)]
pub struct TestRun {
    /// Tests in file order, then line.
    pub outcomes: Vec<TestOutcome>,
    /// Coverage per policy file, sorted by file.
    pub coverage: Vec<FileCoverage>,
}

impl TestRun {
    /// How many tests passed.
    pub fn passed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.result.is_ok()).count()
    }

    /// How many tests failed.
    pub fn failed(&self) -> usize {
        self.outcomes.len() - self.passed()
    }

    /// Covered lines over all policy files, in percent.
    pub fn coverage_percent(&self) -> f64 {
        let covered = self.coverage.iter().map(|c| c.covered).sum();
        let not_covered = self.coverage.iter().map(|c| c.not_covered).sum();
        percent(covered, not_covered)
    }

    /// The report: one line per test, coverage per file and in total, and the
    /// closing line `N passed, M failed`.
    pub fn render(&self, out: &mut dyn Write) -> io::Result<()> {
        for o in &self.outcomes {
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
        for c in &self.coverage {
            let lines = format!("{}/{}", c.covered, c.covered + c.not_covered);
            writeln!(out, "  {:>5.1}%  {lines:>9} lines  {}", c.percent(), c.file)?;
        }
        let covered: usize = self.coverage.iter().map(|c| c.covered).sum();
        let total: usize = self.coverage.iter().map(|c| c.covered + c.not_covered).sum();
        writeln!(out, "total coverage: {:.1}% ({covered}/{total} lines)\n", self.coverage_percent())?;
        writeln!(out, "{} passed, {} failed", self.passed(), self.failed())
    }
}

/// Run every test of the set.
pub fn run(set: &PolicySet) -> Result<TestRun, PolicyError> {
    let parsed = ast::parse(set.tests()).map_err(|mut errors| errors.remove(0))?;
    let mut engine = set.engine_with_tests()?;
    // Loading evaluated the entrypoint once to prepare the engine: start from zero.
    engine.clear_coverage_data();
    let mut outcomes = Vec::new();
    for m in &parsed {
        let mut seen = BTreeSet::new();
        for r in &m.rules {
            if !r.name.starts_with("test_") || r.is_function || !seen.insert(r.name.clone()) {
                continue;
            }
            let name = format!("{}.{}", m.package, r.name);
            engine.set_input(regorus::Value::new_object());
            let result = match engine.eval_rule(name.clone()) {
                Ok(regorus::Value::Bool(true)) => Ok(()),
                Ok(regorus::Value::Undefined) => Err("undefined: a condition of the test does not hold".to_string()),
                Ok(regorus::Value::Bool(false)) => Err("false".to_string()),
                Ok(other) => Err(format!("not true: {other}")),
                Err(e) => Err(format!("error: {e:#}")),
            };
            outcomes.push(TestOutcome {
                name,
                file: m.origin.clone(),
                line: r.line,
                result,
            });
        }
    }
    let report = engine.get_coverage_report().map_err(|e| PolicyError::Eval(format!("{e:#}")))?;
    let modules: BTreeSet<&str> = set.modules().iter().map(|m| m.origin.as_str()).collect();
    let mut coverage: Vec<FileCoverage> = report
        .files
        .iter()
        .filter(|f| modules.contains(f.path.as_str()))
        .map(|f| FileCoverage {
            file: f.path.clone(),
            covered: f.covered.len(),
            not_covered: f.not_covered.len(),
        })
        .collect();
    // regorus leaves out the modules that no test evaluated: count all their lines as not covered.
    let reported: BTreeSet<String> = coverage.iter().map(|c| c.file.clone()).collect();
    let untouched: Vec<_> = set.modules().iter().filter(|m| !reported.contains(&m.origin)).cloned().collect();
    for m in ast::parse(&untouched).map_err(|mut errors| errors.remove(0))? {
        let lines: BTreeSet<u64> = m.rules.iter().flat_map(|r| ast::expression_lines(&r.ast)).collect();
        coverage.push(FileCoverage {
            file: m.origin,
            covered: 0,
            not_covered: lines.len(),
        });
    }
    coverage.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(TestRun { outcomes, coverage })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_with(files: &[(&str, &str)]) -> TestRun {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let set = PolicySet::load(&crate::policy::LoadOptions {
            policy_dirs: vec![dir.path().to_path_buf()],
            ..Default::default()
        })
        .unwrap();
        let mut run = run(&set).unwrap();
        run.outcomes.retain(|o| o.name.starts_with("data.t."));
        run
    }

    #[test]
    fn true_passes_and_false_undefined_or_error_fail() {
        let run = run_with(&[(
            "t_test.rego",
            "package t\n\ntest_true if 1 == 1\n\ntest_false := false\n\ntest_undefined if 1 == 2\n\ntest_error if 1 / 0\n\nhelper if true\n",
        )]);
        let got: Vec<_> = run.outcomes.iter().map(|o| (o.name.as_str(), o.line, o.result.is_ok())).collect();
        assert_eq!(
            got,
            vec![("data.t.test_true", 3, true), ("data.t.test_false", 5, false), ("data.t.test_undefined", 7, false), ("data.t.test_error", 9, false)]
        );
        assert!(run.outcomes[3].result.as_ref().unwrap_err().contains("divide by zero"), "{:?}", run.outcomes[3]);
        let mut text = Vec::new();
        run.render(&mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.ends_with("\n1 passed, 3 failed\n"), "{text}");
    }

    #[test]
    fn coverage_counts_policy_lines_that_tests_reach() {
        let dir_files = [
            ("t.rego", "package t\n\nf(x) := y if {\n\ty := x + 1\n}\n\ng(x) := y if {\n\ty := x * 2\n}\n"),
            ("t_test.rego", "package t\n\ntest_f if f(1) == 2\n"),
        ];
        let run = run_with(&dir_files);
        let c = run.coverage.iter().find(|c| c.file.ends_with("t.rego") && !c.file.ends_with("_test.rego")).unwrap();
        assert!(c.covered > 0 && c.not_covered > 0, "{c:?}");
        assert!(run.coverage.iter().all(|c| !c.file.ends_with("_test.rego")));
    }
}
