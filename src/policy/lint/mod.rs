//! `policy check`: static checks of a policy set before it is used as a gate.
//!
//! 1. every Rego file parses (each parse error names its file and line, all of
//!    them at once); data documents and the config are valid;
//! 2. every function called exists: a regorus builtin, or a function defined in
//!    the set (regorus only reports an unknown function when a rule that calls it is
//!    evaluated, which may be never in a test and only in production);
//! 3. every finding id a rule module emits (the string literal first argument of
//!    `lib.finding`/`lib.finding_with_severity`, or an `"id": "..."` field) is in the
//!    catalog;
//! 4. every module and test means the same under OPA as under regorus
//!    ([`portability`]: each construct that differs, with the portable form);
//! 5. warnings (they do not fail the check): rules whose findings carry no
//!    evidence ([`evidence`]).
//!
//! Problems are data: the caller lists them and exits 1. Only a failure to read the
//! files is an error.

pub mod evidence;
pub mod portability;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;

use crate::policy::ast::{self, Module};
use crate::policy::{CatalogEntry, LoadOptions, PolicyError, PolicySet};

/// The helpers whose first argument is a finding id.
const FINDING_HELPERS: [&str; 2] = ["data.hcx.lib.finding", "data.hcx.lib.finding_with_severity"];

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// The file (or `config`) the problem is in.
    pub file: String,
    /// The line, when known.
    pub line: Option<u64>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// What the check looked at, and what it found.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    pub modules: usize,
    pub tests: usize,
    pub catalog_ids: usize,
    /// Sorted by file, line, message.
    pub problems: Vec<Problem>,
    /// What does not fail the check but should be fixed (rules without evidence).
    pub warnings: Vec<Problem>,
}

/// The location line of a regorus error message (`--> file:LINE:COL`), if it has one.
fn line_of_error(message: &str) -> Option<u64> {
    let at = message.find("--> ")?;
    let rest = &message[at + 4..];
    let mut parts = rest.lines().next()?.rsplitn(3, ':');
    let _col = parts.next()?;
    parts.next()?.trim().parse().ok()
}

/// The `error: ...` line of a regorus error message, else the whole message.
fn reason_of_error(message: &str) -> String {
    message
        .lines()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .map(str::to_string)
        .unwrap_or_else(|| message.trim().to_string())
}

fn problem_of(e: &PolicyError) -> Problem {
    match e {
        PolicyError::Compile { file, message } => Problem {
            file: file.clone(),
            line: line_of_error(message),
            message: reason_of_error(message),
        },
        PolicyError::Data { file, message } => Problem {
            file: file.clone(),
            line: None,
            message: message.clone(),
        },
        PolicyError::Prepare(message) | PolicyError::Eval(message) => {
            // `--> FILE:LINE:COL` names the file; without it, the set as a whole.
            let file = message
                .find("--> ")
                .and_then(|at| message[at + 4..].lines().next())
                .and_then(|loc| loc.rsplitn(3, ':').nth(2))
                .unwrap_or("policy set");
            Problem {
                file: file.to_string(),
                line: line_of_error(message),
                message: reason_of_error(message),
            }
        }
        other => Problem {
            file: "policy set".into(),
            line: None,
            message: other.to_string(),
        },
    }
}

/// Check the set that `policy_dirs` and `config` make. `Err` only when files cannot
/// be read.
pub fn check(policy_dirs: &[PathBuf], config: Option<PathBuf>) -> Result<CheckReport, PolicyError> {
    let (modules, tests) = PolicySet::read_rego(policy_dirs)?;
    let mut report = CheckReport {
        modules: modules.len(),
        tests: tests.len(),
        ..Default::default()
    };
    let all: Vec<_> = modules.iter().chain(tests.iter()).cloned().collect();
    let (parsed, parse_errors) = ast::parse_all(&all);
    let test_files: BTreeSet<&str> = tests.iter().map(|t| t.origin.as_str()).collect();
    let mut problems: Vec<Problem> = parse_errors.iter().map(problem_of).collect();
    match PolicySet::read_catalog(policy_dirs) {
        Ok(catalog) => {
            report.catalog_ids = catalog.len();
            problems.extend(uncatalogued_ids(&parsed, &test_files, &catalog));
        }
        Err(e) => problems.push(problem_of(&e)),
    }
    // With a file that does not parse, its functions are unknown: no function check.
    problems.extend(portability::check(&parsed));
    report.warnings = evidence::findings_without_evidence(&parsed, &test_files);
    if parse_errors.is_empty() {
        problems.extend(unknown_functions(&parsed));
        let load = PolicySet::load(&LoadOptions {
            policy_dirs: policy_dirs.to_vec(),
            config,
            discover_config: true,
            timeout: None,
            engine: Default::default(),
        });
        match load {
            Ok(_) => {}
            Err(e @ PolicyError::Io { .. }) => return Err(e),
            Err(PolicyError::Config(crate::config::ConfigError::Invalid { path, problems: found })) => {
                problems.extend(found.iter().map(|p| Problem {
                    file: path.display().to_string(),
                    line: p.strip_prefix("line ").and_then(|r| r.split(':').next()).and_then(|n| n.parse().ok()),
                    message: p.split_once(": ").map(|(_, m)| m.to_string()).unwrap_or_else(|| p.clone()),
                }));
            }
            // The compiled set failing on what the walks above already found says nothing new.
            Err(e) => {
                let p = problem_of(&e);
                if !problems.iter().any(|q| q.file == p.file && q.line == p.line) {
                    problems.push(p);
                }
            }
        }
    }
    problems.sort();
    problems.dedup();
    report.problems = problems;
    Ok(report)
}

/// The absolute path a call refers to, as regorus resolves it: an import alias, an
/// absolute `data.` path, or a rule of the calling package.
pub(crate) fn resolve(m: &Module, path: &str) -> String {
    if path.starts_with("data.") {
        return path.to_string();
    }
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    if let Some(imported) = m.imports.get(head) {
        return match rest {
            Some(r) => format!("{imported}.{r}"),
            None => imported.clone(),
        };
    }
    format!("{}.{path}", m.package)
}

fn unknown_functions(parsed: &[Module]) -> Vec<Problem> {
    let defined: BTreeSet<String> = parsed
        .iter()
        .flat_map(|m| m.rules.iter().filter(|r| r.is_function).map(move |r| format!("{}.{}", m.package, r.name)))
        .collect();
    let mut out = Vec::new();
    for m in parsed {
        for r in &m.rules {
            for c in ast::calls(&r.ast) {
                let builtin = c.path == "print" || regorus::unstable::BUILTINS.contains_key(c.path.as_str());
                if builtin || defined.contains(&resolve(m, &c.path)) {
                    continue;
                }
                out.push(Problem {
                    file: m.origin.clone(),
                    line: Some(c.line),
                    message: format!("call of unknown function `{}` (neither a builtin nor a function of the policy set)", c.path),
                });
            }
        }
    }
    out
}

fn uncatalogued_ids(parsed: &[Module], test_files: &BTreeSet<&str>, catalog: &BTreeMap<String, CatalogEntry>) -> Vec<Problem> {
    let mut out = Vec::new();
    for m in parsed.iter().filter(|m| !test_files.contains(m.origin.as_str())) {
        for r in &m.rules {
            let mut ids: Vec<(String, u64)> = ast::calls(&r.ast)
                .into_iter()
                .filter(|c| FINDING_HELPERS.contains(&resolve(m, &c.path).as_str()))
                .filter_map(|c| c.first_string_arg.map(|id| (id, c.line)))
                .collect();
            if r.name == "violation" {
                ids.extend(ast::id_literals(&r.ast));
            }
            for (id, line) in ids {
                if !catalog.contains_key(&id) {
                    out.push(Problem {
                        file: m.origin.clone(),
                        line: Some(line),
                        message: format!("finding id `{id}` is not in the catalog (data.hcx.catalog); add it to a hcx/catalog/data.json"),
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_of_a_regorus_error() {
        assert_eq!(line_of_error("\n--> org/a.rego:3:13\n  |\n3 | x"), Some(3));
        assert_eq!(line_of_error("no location"), None);
    }

    #[test]
    fn the_built_in_set_has_no_problems() {
        let report = check(&[], None).unwrap();
        assert_eq!(report.problems, Vec::<Problem>::new());
        assert!(report.modules > 5 && report.catalog_ids >= 20, "{report:?}");
    }
}
