//! The policy module: loads the built-in and organisation policies once, compiles
//! them with regorus, and evaluates plans against snapshots.
//!
//! A [`PolicySet`] is built once per process: every Rego module is parsed, every
//! data document merged, the rule catalog read ([`catalog`]), the organisation config
//! validated against it and added as `data.hcx.config`, the part of the entrypoint
//! that names the loaded rule packages generated ([`entrypoint`]), and the engine
//! paths set up ([`engine`]: the compiled RVM where it compiles the set, else the
//! interpreter), with strict builtin errors (a failing builtin is an error, never a
//! silently undefined expression) and an execution time limit. Any evaluation error
//! is an error of the tool: the gate never reads it as "allow".
//!
//! The policy tooling lives next to it: [`ast`] (regorus' parse tree), [`lint`]
//! (`policy check`), [`test`] (`policy test`) and [`init`] (`policy init`); [`render`]
//! writes their output.

pub mod ast;
pub mod catalog;
pub mod engine;
pub mod entrypoint;
pub mod imports;
pub mod init;
pub mod lint;
pub mod render;
pub mod test;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::config::{ConfigError, ConfigFile, ValidConfig};
use catalog::build_catalog;
pub use catalog::CatalogEntry;
use engine::{EngineChoice, EnginePath, EvalFailure, Engines, Evaluated, InterpreterBuilder};
use crate::findings::Finding;

/// The built-in set as `build.rs` compiled it: the RVM program of its rules
/// ([`entrypoint::text::PROGRAM_RULES`]), the generated entrypoint part and each module's
/// package. A set without organisation
/// directories (any config) runs it instead of parsing and compiling at start-up.
#[derive(Debug, Clone, Copy)]
pub struct Precompiled {
    /// `Program::serialize_binary` of the program (without the Rego texts).
    pub program: &'static [u8],
    /// The text of the generated entrypoint part ([`entrypoint`]).
    pub generated: &'static str,
    /// (origin, dotted package) of each built-in module, as regorus parsed it.
    pub packages: &'static [(&'static str, &'static str)],
}

include!(concat!(env!("OUT_DIR"), "/builtin_policies.rs"));

/// The query whose result is the set of findings (documented in the README).
pub const ENTRYPOINT: &str = "data.hcx.preflight.findings";
/// What hcx-preflight evaluates: the findings and the checks that make it refuse to decide.
const REPORT_RULE: &str = entrypoint::text::REPORT_RULE;

/// Default wall-clock limit of one evaluation.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a policy set cannot be loaded or evaluated.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read policy directory {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("policy {file} does not compile:\n{message}")]
    Compile { file: String, message: String },
    #[error("data document {file} is not valid: {message}")]
    Data { file: String, message: String },
    #[error("the policies do not compile together:\n{0}")]
    Prepare(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("policy evaluation failed, so no decision was made:\n{0}")]
    Eval(String),
    #[error("policy evaluation exceeded the time limit of {limit:?}, so no decision was made (a runaway rule?):\n{message}")]
    Timeout { limit: Duration, message: String },
    #[error("the rules emitted finding ids that are not in the catalog: {ids}; add them to a data document at hcx/catalog (see `hcx-preflight policy init`)")]
    Uncatalogued { ids: String },
    #[error("rule(s) emitted malformed finding(s) without a string id and message: {0}")]
    Malformed(String),
}

/// The findings of one evaluation and the engine path that produced them.
#[derive(Debug)]
pub struct Evaluation {
    /// Unsorted.
    pub findings: Vec<Finding>,
    pub path: EnginePath,
    /// Why the RVM did not evaluate, when the set meant it to (for `--verbose`).
    pub fallback: Option<String>,
}

/// One Rego file of the set.
#[derive(Debug, Clone)]
pub struct PolicyFile {
    /// Path inside the bundle (`hcx/rules/backup.rego`, `org-1/acme/rules.rego`).
    pub bundle_path: String,
    /// Where it was read from (`built-in` or the file on disk), for messages.
    pub origin: String,
    pub text: String,
}

/// One data document of the set.
#[derive(Debug, Clone)]
pub struct DataFile {
    pub bundle_path: String,
    pub origin: String,
    /// Where the document sits in `data` (its folder).
    pub data_path: Vec<String>,
    pub value: serde_json::Value,
}

/// The loaded, compiled policy set.
#[derive(Clone)]
pub struct PolicySet {
    /// The Rego modules, the generated entrypoint part ([`entrypoint`]) last.
    modules: Vec<PolicyFile>,
    tests: Vec<PolicyFile>,
    data: Vec<DataFile>,
    config: ValidConfig,
    catalog: BTreeMap<String, CatalogEntry>,
    engines: Engines,
    digest: String,
    timeout: Duration,
    /// Each module's package as regorus parsed it (origin, dotted package).
    packages: Vec<(String, String)>,
    /// The organisation directories, as given (decision records name them).
    policy_dirs: Vec<PathBuf>,
}

impl std::fmt::Debug for PolicySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicySet")
            .field("modules", &self.modules.len())
            .field("data", &self.data.len())
            .field("digest", &self.digest)
            .field("engine", &self.engines.path())
            .finish()
    }
}

/// What to load.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Organisation policy directories, in order.
    pub policy_dirs: Vec<PathBuf>,
    /// The organisation config, if any.
    pub config: Option<PathBuf>,
    /// Look for `hcx-preflight.toml` in the working directory when `config` is none.
    pub discover_config: bool,
    /// Wall-clock limit of one evaluation.
    pub timeout: Option<Duration>,
    /// Which engine path evaluates the set.
    pub engine: EngineChoice,
}

fn is_test(path: &str) -> bool {
    path.ends_with("_test.rego")
}

fn is_data(name: &str) -> bool {
    matches!(name, "data.json" | "data.yaml" | "data.yml")
}

impl PolicySet {
    /// The built-in policy set with no organisation additions.
    pub fn builtin() -> Result<Self, PolicyError> {
        Self::load(&LoadOptions::default())
    }

    /// Read the Rego files (modules, then tests) of the built-in set and the
    /// organisation directories without compiling them, e.g. to report every parse
    /// error of a set at once (`policy check`).
    pub fn read_rego(policy_dirs: &[PathBuf]) -> Result<(Vec<PolicyFile>, Vec<PolicyFile>), PolicyError> {
        let (modules, tests, _) = read_files(policy_dirs)?;
        Ok((modules, tests))
    }

    /// The catalog of the built-in set and the organisation directories, read
    /// without compiling any policy (for `policy check` on a set that does not compile).
    pub fn read_catalog(policy_dirs: &[PathBuf]) -> Result<BTreeMap<String, CatalogEntry>, PolicyError> {
        let (_, _, data) = read_files(policy_dirs)?;
        build_catalog(&data)
    }

    /// Load the built-in set, the organisation directories and config, and compile.
    pub fn load(opts: &LoadOptions) -> Result<Self, PolicyError> {
        let (modules, tests, data) = read_files(&opts.policy_dirs)?;

        let catalog = build_catalog(&data)?;
        let thresholds = merged(&data)
            .pointer("/hcx/params/thresholds")
            .and_then(|t| t.as_object())
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect::<BTreeMap<_, _>>())
            .unwrap_or_default();
        let file = match &opts.config {
            Some(p) => Some(ConfigFile::load(p)?),
            None if opts.discover_config => ConfigFile::discover(None)?,
            None => None,
        };
        let config = match file {
            Some(f) => f.validate(&catalog.keys().cloned().collect::<BTreeSet<_>>(), &thresholds)?,
            None => ValidConfig::default(),
        };

        let timeout = opts.timeout.unwrap_or(DEFAULT_TIMEOUT);
        let mut modules = modules;
        let tree = data_tree(&data, &config);
        let data_value = regorus::Value::from(tree.clone());
        let (engines, packages) = match precompiled(opts) {
            Some((program, compiled)) => {
                modules.push(entrypoint::module_with_text(compiled.generated));
                let packages = compiled.packages.iter().map(|&(o, p)| (o.to_string(), p.to_string())).collect();
                let (for_interpreter, data_for_interpreter) = (modules.clone(), data_value.clone());
                let build: InterpreterBuilder = Arc::new(move || {
                    let mut engine = new_engine(timeout, false);
                    add_modules(&mut engine, &for_interpreter).map_err(|e| e.to_string())?;
                    engine.add_data(data_for_interpreter.clone()).map_err(|e| format!("{e:#}"))?;
                    Ok(engine)
                });
                (Engines::precompiled(program, build, data_value, &entrypoint::text::PROGRAM_RULES, timeout), packages)
            }
            None => {
                let mut engine = new_engine(timeout, false);
                let packages = parse_with_entrypoint(&mut engine, &mut modules, &tree)?;
                engine.add_data(data_value.clone()).map_err(|e| PolicyError::Prepare(format!("{e:#}")))?;
                // The differential tests cover the built-in modules (with any data and config).
                let verified = modules.iter().all(|m| !m.bundle_path.starts_with("org-"));
                let engines = Engines::new(engine, data_value, &entrypoint::text::PROGRAM_RULES, timeout, opts.engine, verified)
                    .map_err(PolicyError::Prepare)?;
                (engines, packages)
            }
        };
        let digest = digest(&modules, &data, &config);
        Ok(PolicySet {
            modules,
            tests,
            data,
            config,
            catalog,
            engines,
            digest,
            timeout,
            packages,
            policy_dirs: opts.policy_dirs.clone(),
        })
    }

    /// The digest of the built-in set ([`PolicySet::digest`] of [`PolicySet::builtin`]),
    /// for `--version`: nothing is compiled, and the modules are parsed only where
    /// `build.rs` did not write the generated entrypoint part (which needs their packages).
    pub fn builtin_digest() -> Result<String, PolicyError> {
        let (mut modules, _, data) = read_files(&[])?;
        let config = ValidConfig::default();
        match BUILTIN_COMPILED {
            Some(compiled) => modules.push(entrypoint::module_with_text(compiled.generated)),
            None => {
                parse_with_entrypoint(&mut new_engine(DEFAULT_TIMEOUT, false), &mut modules, &data_tree(&data, &config))?;
            }
        }
        Ok(digest(&modules, &data, &config))
    }

    /// SHA-256 over every policy source, data document and the config.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// The organisation policy directories, in load order (bundle prefix `org-1/`, ...).
    pub fn policy_dirs(&self) -> &[PathBuf] {
        &self.policy_dirs
    }

    /// The data documents of the set (built-in and organisation).
    pub fn data_files(&self) -> &[DataFile] {
        &self.data
    }

    /// Evaluate another rule of the set (the decision record reads
    /// `data.hcx.lib.attested_facts`), as JSON: by the RVM where its program has the
    /// rule ([`entrypoint::text::PROGRAM_RULES`]), else by the interpreter.
    pub fn evaluate_rule(&self, rule: &str, input: regorus::Value) -> Result<serde_json::Value, PolicyError> {
        let value = match self.engines.evaluate_rule(rule, input) {
            Ok(evaluated) => evaluated.value,
            Err(e) => return Err(PolicyError::Eval(e.message)),
        };
        serde_json::to_value(&value).map_err(|e| PolicyError::Eval(e.to_string()))
    }

    /// [`PolicySet::evaluate_raw`] of another rule of the program.
    pub fn evaluate_rule_raw(&self, path: EnginePath, rule: &str, input: regorus::Value) -> Result<regorus::Value, PolicyError> {
        self.engines.evaluate_rule_by(path, rule, input).map_err(|e| PolicyError::Eval(e.message))
    }

    /// Rule metadata by id (built-in and organisation).
    pub fn catalog(&self) -> &BTreeMap<String, CatalogEntry> {
        &self.catalog
    }

    /// For each rule id, the modules that emit it ([`catalog::sources`]).
    pub fn rule_sources(&self) -> Result<BTreeMap<String, Vec<String>>, PolicyError> {
        catalog::sources(&self.modules)
    }

    /// The engine path that evaluates the set (unless the RVM fails on an input).
    pub fn engine_path(&self) -> EnginePath {
        self.engines.path()
    }

    /// Whether the set runs the RVM program `build.rs` compiled (built-in modules only).
    pub fn compiled_at_build_time(&self) -> bool {
        self.engines.compiled_at_build_time()
    }

    /// Why the RVM does not evaluate this set, when it does not.
    pub fn engine_fallback(&self) -> Option<&str> {
        self.engines.fallback_reason()
    }

    /// The Rego modules (tests excluded), the generated entrypoint part included.
    pub fn modules(&self) -> &[PolicyFile] {
        &self.modules
    }

    /// The Rego unit-test modules (`*_test.rego`).
    pub fn tests(&self) -> &[PolicyFile] {
        &self.tests
    }

    /// The validated organisation config.
    pub fn config(&self) -> &ValidConfig {
        &self.config
    }

    /// The whole `data` document the policies see (catalog, params, config, org data).
    pub fn data_document(&self) -> serde_json::Value {
        data_tree(&self.data, &self.config)
    }

    /// An engine with modules, data and (optionally) the test modules, for `policy test`.
    pub fn engine_with_tests(&self) -> Result<regorus::Engine, PolicyError> {
        let mut all = self.modules.clone();
        all.extend(self.tests.iter().cloned());
        let mut engine = new_engine(self.timeout, true);
        add_modules(&mut engine, &all)?;
        engine
            .add_data(regorus::Value::from(self.data_document()))
            .map_err(|e| PolicyError::Prepare(format!("{e:#}")))?;
        engine::prepare(&mut engine).map_err(PolicyError::Prepare)?;
        Ok(engine)
    }

    /// Evaluate the policies on an input document; the findings are unsorted.
    pub fn evaluate(&self, input: &serde_json::Value) -> Result<Vec<Finding>, PolicyError> {
        Ok(self.evaluate_value(regorus::Value::from(input.clone()))?.findings)
    }

    /// Evaluate the policies on an input document already in regorus' form (see
    /// [`crate::plan::input_value`]), by the set's engine path.
    pub fn evaluate_value(&self, input: regorus::Value) -> Result<Evaluation, PolicyError> {
        let Evaluated { value, path, fallback } = match self.engines.evaluate(input.clone()) {
            Ok(e) => e,
            Err(e) => return Err(self.eval_error(e, input)),
        };
        Ok(Evaluation {
            findings: self.findings_of(&value)?,
            path,
            fallback,
        })
    }

    /// The evaluation of the report rule by one given engine path, as regorus returns
    /// it (the differential tests compare these across paths).
    pub fn evaluate_raw(&self, path: EnginePath, input: regorus::Value) -> Result<regorus::Value, PolicyError> {
        self.engines.evaluate_by(path, input).map_err(|e| PolicyError::Eval(e.message))
    }

    /// The findings in the value of the report rule, or why there is no decision.
    fn findings_of(&self, report: &regorus::Value) -> Result<Vec<Finding>, PolicyError> {
        if *report == regorus::Value::Undefined {
            return Err(PolicyError::Eval(format!("{REPORT_RULE} is undefined: a policy overrides or breaks the entrypoint")));
        }
        let report = serde_json::to_value(report).map_err(|e| PolicyError::Eval(e.to_string()))?;
        let ids = |key: &str| -> Vec<String> {
            report[key]
                .as_array()
                .map(|a| a.iter().map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).collect())
                .unwrap_or_default()
        };
        let unc = ids("uncatalogued");
        if !unc.is_empty() {
            return Err(PolicyError::Uncatalogued { ids: unc.join(", ") });
        }
        if let Some(m) = report["malformed"].as_array().filter(|a| !a.is_empty()) {
            return Err(PolicyError::Malformed(serde_json::to_string(m).unwrap_or_default()));
        }
        let raw = report.get("findings").cloned().unwrap_or(serde_json::Value::Null);
        let list = raw.as_array().ok_or_else(|| PolicyError::Eval(format!("{ENTRYPOINT} is not a set: {raw}")))?;
        list.iter()
            .map(|f| {
                serde_json::from_value::<Finding>(f.clone())
                    .map_err(|e| PolicyError::Eval(format!("a finding does not have the shape of contract section 4 ({e}): {f}")))
            })
            .collect()
    }

    fn eval_error(&self, failure: EvalFailure, input: regorus::Value) -> PolicyError {
        let EvalFailure { message, timed_out } = failure;
        if !timed_out {
            return PolicyError::Eval(message);
        }
        // Name the culprit: evaluate each rule package alone under the same limit.
        let mut slow = Vec::new();
        for (origin, package) in self.packages.iter().filter(|(_, p)| p.starts_with("hcx.rules.")) {
            if let Err(e) = self.engines.interpret_rule(&format!("data.{package}.violation"), input.clone()) {
                if e.is_timeout() {
                    slow.push(format!("{origin} (package {package})"));
                }
            }
        }
        slow.dedup();
        let culprit = if slow.is_empty() {
            "no single rule package exceeds it alone".to_string()
        } else {
            format!("it is exceeded by {}", slow.join(", "))
        };
        PolicyError::Timeout {
            limit: self.timeout,
            message: format!("{culprit}\n{message}"),
        }
    }

    /// Write the exact policy set as an OPA bundle directory: every Rego file at its
    /// bundle path and one `data.json` at the root with the whole data document.
    pub fn export(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        let mut written = Vec::new();
        for m in self.modules.iter().chain(self.tests.iter()) {
            let p = dir.join(&m.bundle_path);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent)?;
            }
            crate::fsutil::write_atomic(&p, m.text.as_bytes())?;
            written.push(p);
        }
        std::fs::create_dir_all(dir)?;
        let p = dir.join("data.json");
        let mut text = serde_json::to_string_pretty(&self.data_document()).expect("data serializes");
        text.push('\n');
        crate::fsutil::write_atomic(&p, text.as_bytes())?;
        written.push(p);
        Ok(written)
    }
}

fn add_file(
    bundle_path: &str,
    origin: &str,
    text: String,
    modules: &mut Vec<PolicyFile>,
    tests: &mut Vec<PolicyFile>,
    data: &mut Vec<DataFile>,
) -> Result<(), PolicyError> {
    let file = PolicyFile {
        bundle_path: bundle_path.to_string(),
        origin: origin.to_string(),
        text,
    };
    if bundle_path.ends_with(".rego") {
        if is_test(bundle_path) {
            tests.push(file);
        } else {
            modules.push(file);
        }
        return Ok(());
    }
    let name = bundle_path.rsplit('/').next().unwrap_or(bundle_path);
    if !is_data(name) {
        return Ok(());
    }
    let value: serde_json::Value = if name.ends_with(".json") {
        serde_json::from_str(&file.text).map_err(|e| PolicyError::Data {
            file: origin.to_string(),
            message: format!("line {} column {}: {e}", e.line(), e.column()),
        })?
    } else {
        let v = regorus::Value::from_yaml_str(&file.text).map_err(|e| PolicyError::Data {
            file: origin.to_string(),
            message: format!("{e:#}"),
        })?;
        serde_json::to_value(&v).map_err(|e| PolicyError::Data {
            file: origin.to_string(),
            message: e.to_string(),
        })?
    };
    // The folder inside the policy directory is the data path; built-in files and
    // org-N/ prefixes are not part of it.
    let mut folders: Vec<String> = bundle_path.split('/').map(str::to_string).collect();
    folders.pop();
    if folders.first().is_some_and(|f| f.starts_with("org-")) {
        folders.remove(0);
    }
    data.push(DataFile {
        bundle_path: bundle_path.to_string(),
        origin: origin.to_string(),
        data_path: folders,
        value,
    });
    Ok(())
}

/// Rego modules, Rego tests and data documents, as read.
type Files = (Vec<PolicyFile>, Vec<PolicyFile>, Vec<DataFile>);

/// Every built-in and organisation file: Rego modules, Rego tests, data documents.
fn read_files(policy_dirs: &[PathBuf]) -> Result<Files, PolicyError> {
    let mut modules = Vec::new();
    let mut tests = Vec::new();
    let mut data = Vec::new();
    for (path, text) in BUILTIN_FILES {
        add_file(path, &format!("policies/{path}"), text.to_string(), &mut modules, &mut tests, &mut data)?;
    }
    for (i, dir) in policy_dirs.iter().enumerate() {
        let mut files = Vec::new();
        walk(dir, &mut files)?;
        for f in files {
            let rel = f.strip_prefix(dir).unwrap_or(&f).to_string_lossy().replace('\\', "/");
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !(rel.ends_with(".rego") || is_data(name)) {
                continue;
            }
            let text = std::fs::read_to_string(&f).map_err(|source| PolicyError::Io { path: f.clone(), source })?;
            add_file(&format!("org-{}/{rel}", i + 1), &f.display().to_string(), text, &mut modules, &mut tests, &mut data)?;
        }
    }
    Ok((modules, tests, data))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), PolicyError> {
    let io = |source| PolicyError::Io { path: dir.to_path_buf(), source };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    entries.sort();
    for p in entries {
        let hidden = p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if p.is_dir() {
            walk(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

pub(crate) fn merge_into(root: &mut serde_json::Value, path: &[String], value: serde_json::Value) {
    let mut node = root;
    for key in path {
        if !node.is_object() {
            *node = serde_json::Value::Object(Default::default());
        }
        node = node
            .as_object_mut()
            .expect("just made an object")
            .entry(key.clone())
            .or_insert_with(|| serde_json::Value::Object(Default::default()));
    }
    match (node, value) {
        (serde_json::Value::Object(into), serde_json::Value::Object(from)) => {
            for (k, v) in from {
                match into.get_mut(&k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge_into(existing, &[], v),
                    _ => {
                        into.insert(k, v);
                    }
                }
            }
        }
        (node, value) => *node = value,
    }
}

/// The whole `data` document: every data file, and the config as `data.hcx.config`.
fn data_tree(data: &[DataFile], config: &ValidConfig) -> serde_json::Value {
    let mut all = merged(data);
    merge_into(&mut all, &["hcx".into(), "config".into()], config.to_data());
    all
}

/// All data documents merged into one `data` tree.
fn merged(data: &[DataFile]) -> serde_json::Value {
    let mut root = serde_json::Value::Object(Default::default());
    for d in data {
        merge_into(&mut root, &d.data_path, d.value.clone());
    }
    root
}

/// An interpreter with the project's settings: Rego v1, strict builtin errors (a
/// failing builtin is an error, never a silently undefined expression), the time limit.
fn new_engine(timeout: Duration, with_coverage: bool) -> regorus::Engine {
    let mut engine = regorus::Engine::new();
    engine.set_rego_v0(false);
    engine.set_strict_builtin_errors(true);
    engine.set_execution_timer_config(engine::timer(timeout));
    if with_coverage {
        engine.set_enable_coverage(true);
    }
    engine
}

/// The program compiled at build time, where this load can run it: the built-in modules
/// only (any data and config), an engine path that may be the RVM, and a program this
/// regorus reads whole ([`RVM_VERIFIED`](engine::RVM_VERIFIED) holds for them).
fn precompiled(opts: &LoadOptions) -> Option<(regorus::rvm::Program, Precompiled)> {
    let compiled = BUILTIN_COMPILED?;
    if !opts.policy_dirs.is_empty() || opts.engine == EngineChoice::Interpreter || !engine::RVM_VERIFIED {
        return None;
    }
    match regorus::rvm::Program::deserialize_binary(compiled.program) {
        Ok(regorus::rvm::program::DeserializationResult::Complete(program)) => Some((program, compiled)),
        _ => None,
    }
}

/// Parse the modules into the engine, then generate the entrypoint part for the rule
/// packages they define ([`entrypoint`]), add it and append it to `modules`. Returns
/// each module's package (origin, dotted package).
fn parse_with_entrypoint(
    engine: &mut regorus::Engine,
    modules: &mut Vec<PolicyFile>,
    tree: &serde_json::Value,
) -> Result<Vec<(String, String)>, PolicyError> {
    add_modules(engine, modules)?;
    let components = engine.get_policy_package_components().map_err(|e| PolicyError::Prepare(format!("{e:#}")))?;
    let generated = entrypoint::module(&entrypoint::names(&components, modules, tree)?);
    add_modules(engine, std::slice::from_ref(&generated))?;
    modules.push(generated);
    Ok(components.into_iter().map(|p| (p.source_file, p.components.join("."))).collect())
}

/// Add the modules to an engine, with their import references written in full
/// ([`imports`]; the set keeps the text as written, for export and digests).
fn add_modules(engine: &mut regorus::Engine, modules: &[PolicyFile]) -> Result<(), PolicyError> {
    for m in modules {
        let text = imports::inline(&m.origin, &m.text).unwrap_or_else(|| m.text.clone());
        engine.add_policy(m.origin.clone(), text).map_err(|e| PolicyError::Compile {
            file: m.origin.clone(),
            message: format!("{e:#}"),
        })?;
    }
    Ok(())
}

fn digest(modules: &[PolicyFile], data: &[DataFile], config: &ValidConfig) -> String {
    let mut h = Sha256::new();
    for m in modules {
        h.update(b"rego\0");
        h.update(m.bundle_path.as_bytes());
        h.update(b"\0");
        h.update(m.text.as_bytes());
        h.update(b"\0");
    }
    for d in data {
        h.update(b"data\0");
        h.update(d.bundle_path.as_bytes());
        h.update(b"\0");
        h.update(serde_json::to_string(&d.value).unwrap_or_default().as_bytes());
        h.update(b"\0");
    }
    h.update(b"config\0");
    h.update(serde_json::to_string(&config.to_data()).unwrap_or_default().as_bytes());
    hex(&h.finalize())
}

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of bytes, as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}
