//! `policy test`: Rego unit tests, as `opa test` runs them.
//!
//! Every rule named `test_*` in a `*_test.rego` module (built-in and organisation)
//! is one test, evaluated on its own (`eval_rule` on `data.<package>.test_x`) against
//! the whole policy set and its data: `true` passes; `false`, undefined or an error
//! fails (with the error). Tests set their own input with `with input as {...}`.
//! Line coverage comes from regorus' coverage report over the policy modules (the
//! test modules themselves are not counted). A name filter (`--run REGEX`) selects
//! the tests as `opa test --run` does. The run is data; [`super::render`] prints it.

use std::collections::BTreeSet;

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
    /// How many lines some test evaluated.
    pub covered: usize,
    /// The evaluable lines that no test reached, ascending.
    pub uncovered: Vec<u64>,
}

impl FileCoverage {
    /// Covered lines in percent (100 for a file without evaluable lines).
    pub fn percent(&self) -> f64 {
        percent(self.covered, self.uncovered.len())
    }

    /// The uncovered lines as ranges: `[(3, 5), (9, 9)]` for lines 3, 4, 5 and 9.
    pub fn uncovered_ranges(&self) -> Vec<(u64, u64)> {
        let mut ranges: Vec<(u64, u64)> = Vec::new();
        for &line in &self.uncovered {
            match ranges.last_mut() {
                Some((_, end)) if *end + 1 == line => *end = line,
                _ => ranges.push((line, line)),
            }
        }
        ranges
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
        let not_covered = self.coverage.iter().map(|c| c.uncovered.len()).sum();
        percent(covered, not_covered)
    }
}

/// Run the tests of the set whose full name (`data.pkg.test_x`) matches `filter`
/// (every test without one).
pub fn run(set: &PolicySet, filter: Option<&regex::Regex>) -> Result<TestRun, PolicyError> {
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
            if filter.is_some_and(|f| !f.is_match(&name)) {
                continue;
            }
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
            uncovered: f.not_covered.iter().map(|l| u64::from(*l)).collect(),
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
            uncovered: lines.into_iter().collect(),
        });
    }
    coverage.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(TestRun { outcomes, coverage })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_with(files: &[(&str, &str)]) -> TestRun {
        run_filtered(files, None)
    }

    fn run_filtered(files: &[(&str, &str)], filter: Option<&str>) -> TestRun {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let set = PolicySet::load(&crate::policy::LoadOptions {
            policy_dirs: vec![dir.path().to_path_buf()],
            ..Default::default()
        })
        .unwrap();
        let filter = filter.map(|f| regex::Regex::new(f).unwrap());
        let mut run = run(&set, filter.as_ref()).unwrap();
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
    }

    #[test]
    fn a_name_filter_selects_the_tests_it_matches() {
        let files = [("t_test.rego", "package t\n\ntest_alpha if true\n\ntest_beta if true\n\ntest_alphabet if true\n")];
        let names = |filter| run_filtered(&files, Some(filter)).outcomes.into_iter().map(|o| o.name).collect::<Vec<_>>();
        assert_eq!(names("alpha"), vec!["data.t.test_alpha", "data.t.test_alphabet"]);
        assert_eq!(names("alpha$"), vec!["data.t.test_alpha"]);
        assert_eq!(names("^nothing"), Vec::<String>::new());
    }

    #[test]
    fn coverage_counts_policy_lines_that_tests_reach() {
        let dir_files = [
            ("t.rego", "package t\n\nf(x) := y if {\n\ty := x + 1\n}\n\ng(x) := y if {\n\ty := x * 2\n}\n"),
            ("t_test.rego", "package t\n\ntest_f if f(1) == 2\n"),
        ];
        let run = run_with(&dir_files);
        let c = run.coverage.iter().find(|c| c.file.ends_with("t.rego") && !c.file.ends_with("_test.rego")).unwrap();
        assert!(c.covered > 0, "{c:?}");
        // g's body (line 8) and head value: no test calls g.
        assert!(c.uncovered.contains(&8), "{c:?}");
        assert!(!c.uncovered.contains(&4), "{c:?}");
        assert!(run.coverage.iter().all(|c| !c.file.ends_with("_test.rego")));
    }

    #[test]
    fn uncovered_lines_become_ranges() {
        let c = FileCoverage {
            file: "a.rego".into(),
            covered: 1,
            uncovered: vec![3, 4, 5, 9, 11, 12],
        };
        assert_eq!(c.uncovered_ranges(), vec![(3, 5), (9, 9), (11, 12)]);
    }
}
