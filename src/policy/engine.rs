//! The engine paths that evaluate a loaded policy set: regorus's compiled VM (RVM)
//! and its tree-walking interpreter.
//!
//! The RVM runs a program compiled once per process from the entrypoint rule; it
//! memoizes rules and is several times faster than the interpreter. It is used only
//! where the differential tests (`tests/differential.rs`: every policy case, fixture
//! and fuzz input, against the interpreter and OPA) show the same results: on the
//! built-in modules, with any data and config. Organisation modules go to the
//! interpreter unless `--engine rvm` asks otherwise, because regorus 0.14.1's RVM
//! skips a rule body whose builtin fails where the interpreter (strict builtin errors)
//! fails the evaluation ([`UNVERIFIED`]). A set the RVM cannot compile falls back to
//! the interpreter, and the reason is kept for `check --verbose`; so does an
//! evaluation that the RVM fails for another reason than the time limit: the
//! interpreter then decides. Nothing here turns an error into a result.
//!
//! This module does not know what the policies mean: [`crate::policy`] loads them
//! and reads the findings out of the value evaluated here.

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::vm::VmError;
use regorus::rvm::{Program, RegoVM};
use regorus::utils::limits::ExecutionTimerConfig;

/// Whether the differential tests show the RVM agreeing with the interpreter and OPA on
/// the built-in modules. `tests/differential.rs` fails when this is `true` while they
/// disagree. They agree since the built-in policies guard each possibly undefined
/// assignment whose body goes on (`lapse := lib.attestation_lapse(..); is_string(lapse)`,
/// see `policies/hcx/lib/attestations.rego`): regorus 0.14.1's RVM keeps an undefined
/// element in an array comprehension, which dropped `backup-missing` findings before.
pub const RVM_VERIFIED: bool = true;

/// Why the built-in modules are not evaluated by the RVM unless asked for.
pub const RVM_DISAGREES: &str = "the differential tests show regorus 0.14.1's RVM dropping findings that the \
interpreter and OPA report (an undefined element kept in an array comprehension; rule bodies whose builtin \
fails skipped instead of failing the evaluation); --engine rvm forces it";

/// Why a set with organisation modules is not evaluated by the RVM unless asked for.
pub const UNVERIFIED: &str = "the set has organisation modules, and regorus 0.14.1's RVM skips a rule body \
whose builtin fails (or a complete rule whose definitions conflict) instead of failing the evaluation, which \
could hide a finding; the RVM evaluates only the built-in modules, which the differential tests cover \
(--engine rvm forces it)";

/// Which engine evaluated (or is to evaluate) a policy set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EnginePath {
    /// regorus's compiled VM.
    Rvm,
    /// regorus's tree-walking interpreter.
    Interpreter,
}

impl EnginePath {
    pub fn as_str(self) -> &'static str {
        match self {
            EnginePath::Rvm => "rvm",
            EnginePath::Interpreter => "interpreter",
        }
    }
}

/// Which engine path the user asks for (`--engine`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EngineChoice {
    /// The RVM for the built-in modules (with any data and config) once the differential
    /// tests show it agreeing ([`RVM_VERIFIED`]); the interpreter otherwise.
    #[default]
    Auto,
    /// Always the interpreter.
    Interpreter,
    /// The RVM, organisation modules too; a set it cannot compile is an error.
    Rvm,
}

/// Why the evaluation of one rule failed.
#[derive(Debug, Clone)]
pub struct EvalFailure {
    pub message: String,
    /// The evaluation ran out of time: read from regorus' typed errors
    /// ([`regorus::LimitError`] of the interpreter, `VmError::TimeLimitExceeded` of the
    /// RVM), never from their wording.
    pub timed_out: bool,
}

impl EvalFailure {
    /// The evaluation ran out of time.
    pub fn is_timeout(&self) -> bool {
        self.timed_out
    }

    /// A failure of the interpreter.
    fn interpreter(e: anyhow::Error) -> Self {
        let timed_out = matches!(e.downcast_ref::<regorus::LimitError>(), Some(regorus::LimitError::TimeLimitExceeded { .. }));
        EvalFailure {
            message: format!("{e:#}"),
            timed_out,
        }
    }

    /// A failure of the RVM.
    fn vm(e: VmError) -> Self {
        EvalFailure {
            timed_out: matches!(e, VmError::TimeLimitExceeded { .. }),
            message: e.to_string(),
        }
    }
}

/// One evaluation: the value of the rule and the path that produced it.
#[derive(Debug)]
pub struct Evaluated {
    pub value: regorus::Value,
    pub path: EnginePath,
    /// Why the RVM did not evaluate it, when it was meant to.
    pub fallback: Option<String>,
}

/// Builds the interpreter of a set on demand (with modules and data, prepared).
pub type InterpreterBuilder = Arc<dyn Fn() -> Result<regorus::Engine, String> + Send + Sync>;

/// The engines of one policy set, ready to evaluate one rule (the entrypoint).
pub struct Engines {
    /// The rules the RVM program evaluates, the main one (the report) first.
    rules: Vec<String>,
    /// The interpreter, with modules and data; kept (not cloned) between evaluations,
    /// so that its preparation is paid once per process, and built only when an
    /// evaluation needs it where the set runs a program compiled at build time.
    interpreter: OnceLock<Result<Mutex<regorus::Engine>, String>>,
    build_interpreter: InterpreterBuilder,
    /// The RVM program, or why there is none.
    rvm: Result<Arc<Program>, String>,
    /// The RVM program compiled on demand for [`Engines::evaluate_by`] where the set's
    /// path is the interpreter (differential tests, benchmarks).
    on_demand: OnceLock<Result<Arc<Program>, String>>,
    data: regorus::Value,
    timer: ExecutionTimerConfig,
    /// The program was compiled at build time ([`Engines::precompiled`]).
    at_build_time: bool,
}

impl Clone for Engines {
    fn clone(&self) -> Self {
        let interpreter = OnceLock::new();
        if let Some(built) = self.interpreter.get() {
            let copy = match built {
                Ok(engine) => Ok(Mutex::new(lock(engine).clone())),
                Err(e) => Err(e.clone()),
            };
            let _ = interpreter.set(copy);
        }
        Engines {
            rules: self.rules.clone(),
            interpreter,
            build_interpreter: self.build_interpreter.clone(),
            rvm: self.rvm.clone(),
            on_demand: self.on_demand.clone(),
            data: self.data.clone(),
            timer: self.timer,
            at_build_time: self.at_build_time,
        }
    }
}

/// The time limit of one evaluation, checked every 256 steps by either engine.
pub fn timer(limit: Duration) -> ExecutionTimerConfig {
    ExecutionTimerConfig {
        limit,
        check_interval: NonZeroU32::new(256).expect("non-zero"),
    }
}

impl Engines {
    /// Set up the engine paths for `rule` on an interpreter that holds the modules and
    /// the data document `data`. `verified` says that the differential tests cover these
    /// modules (the built-in ones, with any data and config): [`EngineChoice::Auto`] uses
    /// the RVM only then. With [`EngineChoice::Rvm`], a set the RVM cannot compile is an
    /// error (the reason); otherwise it falls back to the interpreter.
    pub fn new(
        mut interpreter: regorus::Engine,
        data: regorus::Value,
        rules: &[&str],
        timeout: Duration,
        choice: EngineChoice,
        verified: bool,
    ) -> Result<Self, String> {
        let rvm = match choice {
            EngineChoice::Interpreter => Err("the interpreter was asked for (--engine interpreter)".to_string()),
            EngineChoice::Auto if !verified => Err(UNVERIFIED.to_string()),
            EngineChoice::Auto if !RVM_VERIFIED => Err(RVM_DISAGREES.to_string()),
            EngineChoice::Auto | EngineChoice::Rvm => compile(&mut interpreter, rules),
        };
        match (&rvm, choice) {
            (Err(reason), EngineChoice::Rvm) => return Err(format!("the RVM cannot compile the policy set: {reason}")),
            (Err(_), _) => prepare(&mut interpreter)?,
            _ => {}
        }
        let engines = Engines {
            rules: rules.iter().map(|r| r.to_string()).collect(),
            interpreter: OnceLock::new(),
            // Never called: the interpreter is set below, and a clone copies it.
            build_interpreter: Arc::new(|| Err("the interpreter was built with the set".to_string())),
            rvm,
            on_demand: OnceLock::new(),
            data,
            timer: timer(timeout),
            at_build_time: false,
        };
        let _ = engines.interpreter.set(Ok(Mutex::new(interpreter)));
        Ok(engines)
    }

    /// The engine paths of a set whose RVM program was compiled at build time (the
    /// built-in modules, [`RVM_VERIFIED`]): nothing is parsed or compiled here, and the
    /// interpreter is built by `build_interpreter` only if an evaluation needs it.
    pub fn precompiled(
        program: Program,
        build_interpreter: InterpreterBuilder,
        data: regorus::Value,
        rules: &[&str],
        timeout: Duration,
    ) -> Self {
        Engines {
            rules: rules.iter().map(|r| r.to_string()).collect(),
            interpreter: OnceLock::new(),
            build_interpreter,
            rvm: Ok(Arc::new(program)),
            on_demand: OnceLock::new(),
            data,
            timer: timer(timeout),
            at_build_time: true,
        }
    }

    /// Whether the RVM program was compiled at build time.
    pub fn compiled_at_build_time(&self) -> bool {
        self.at_build_time
    }

    /// The path an evaluation takes unless the RVM fails at run time.
    pub fn path(&self) -> EnginePath {
        if self.rvm.is_ok() {
            EnginePath::Rvm
        } else {
            EnginePath::Interpreter
        }
    }

    /// Why the RVM is not used for this set, if it is not.
    pub fn fallback_reason(&self) -> Option<&str> {
        self.rvm.as_ref().err().map(String::as_str)
    }

    /// Evaluate the main rule on `input` by the set's path. An RVM failure other than
    /// the time limit is evaluated again by the interpreter, which decides.
    pub fn evaluate(&self, input: regorus::Value) -> Result<Evaluated, EvalFailure> {
        self.evaluate_rule(&self.rules[0], input)
    }

    /// Evaluate `rule` by the set's path: the RVM where its program has the rule, else
    /// the interpreter. An RVM failure other than the time limit is evaluated again by
    /// the interpreter, which decides.
    pub fn evaluate_rule(&self, rule: &str, input: regorus::Value) -> Result<Evaluated, EvalFailure> {
        let program = match &self.rvm {
            Ok(program) if self.rules.iter().any(|r| r == rule) => program,
            other => {
                let why = match other {
                    Ok(_) => format!("{rule} is not in the RVM program"),
                    Err(reason) => reason.clone(),
                };
                return Ok(Evaluated {
                    value: self.interpret_rule(rule, input)?,
                    path: EnginePath::Interpreter,
                    fallback: Some(why),
                });
            }
        };
        match self.run_vm(program, rule, input.clone()) {
            Ok(value) => Ok(Evaluated {
                value,
                path: EnginePath::Rvm,
                fallback: None,
            }),
            Err(e) if e.is_timeout() => Err(e),
            Err(e) => Ok(Evaluated {
                value: self.interpret_rule(rule, input)?,
                path: EnginePath::Interpreter,
                fallback: Some(format!("the RVM failed on this input, the interpreter decided: {}", e.message)),
            }),
        }
    }

    /// Evaluate the main rule by one given path (differential tests, benchmarks).
    pub fn evaluate_by(&self, path: EnginePath, input: regorus::Value) -> Result<regorus::Value, EvalFailure> {
        self.evaluate_rule_by(path, &self.rules[0], input)
    }

    /// Evaluate one of the program's rules by one given path (differential tests).
    pub fn evaluate_rule_by(&self, path: EnginePath, rule: &str, input: regorus::Value) -> Result<regorus::Value, EvalFailure> {
        match (path, &self.rvm) {
            (EnginePath::Interpreter, _) => self.interpret_rule(rule, input),
            (EnginePath::Rvm, Ok(program)) => self.run_vm(program, rule, input),
            (EnginePath::Rvm, Err(_)) => {
                let program = self.on_demand.get_or_init(|| match self.lock() {
                    Ok(mut engine) => compile(&mut engine, &self.rules.iter().map(String::as_str).collect::<Vec<_>>()),
                    Err(e) => Err(e.message),
                });
                match program {
                    Ok(program) => self.run_vm(program, rule, input),
                    Err(reason) => Err(EvalFailure {
                        message: format!("the RVM cannot compile the set: {reason}"),
                        timed_out: false,
                    }),
                }
            }
        }
    }

    /// Evaluate another rule with the interpreter (e.g. to find which package is slow).
    pub fn interpret_rule(&self, rule: &str, input: regorus::Value) -> Result<regorus::Value, EvalFailure> {
        let mut engine = self.lock()?;
        engine.set_input(input);
        engine.eval_rule(rule.to_string()).map_err(EvalFailure::interpreter)
    }

    fn run_vm(&self, program: &Arc<Program>, rule: &str, input: regorus::Value) -> Result<regorus::Value, EvalFailure> {
        let mut vm = RegoVM::new();
        vm.load_program(program.clone());
        vm.set_data(self.data.clone()).map_err(EvalFailure::vm)?;
        vm.set_input(input);
        vm.set_strict_builtin_errors(true);
        vm.set_execution_timer_config(Some(self.timer));
        // The time limit bounds the work; the RVM's default instruction budget
        // (25,000) would refuse a large estate.
        vm.set_max_instructions(usize::MAX);
        vm.execute_entry_point_by_name(rule).map_err(EvalFailure::vm)
    }

    /// The interpreter, built on first use where it was not built with the set.
    fn lock(&self) -> Result<MutexGuard<'_, regorus::Engine>, EvalFailure> {
        let built = self.interpreter.get_or_init(|| {
            (self.build_interpreter)().and_then(|mut engine| {
                prepare(&mut engine)?;
                Ok(Mutex::new(engine))
            })
        });
        match built {
            Ok(engine) => Ok(lock(engine)),
            Err(message) => Err(EvalFailure {
                message: format!("the interpreter cannot be set up: {message}"),
                timed_out: false,
            }),
        }
    }
}

fn lock(engine: &Mutex<regorus::Engine>) -> MutexGuard<'_, regorus::Engine> {
    // A panic during an evaluation leaves nothing half-written that matters: the next
    // evaluation sets its own input.
    engine.lock().unwrap_or_else(|p| p.into_inner())
}

/// Compile `rules` (the main one first) to one RVM program.
fn compile(interpreter: &mut regorus::Engine, rules: &[&str]) -> Result<Arc<Program>, String> {
    let compiled = interpreter
        .compile_with_entrypoint(&rules[0].into())
        .map_err(|e| format!("{e:#}"))?;
    Compiler::compile_from_policy(&compiled, rules).map_err(|e| format!("{e}"))
}

/// Prepare the interpreter (analysis, scheduling) once, so that evaluations do not
/// pay for it: evaluate a rule that reads only the input.
pub fn prepare(interpreter: &mut regorus::Engine) -> Result<(), String> {
    interpreter.set_input(regorus::Value::new_object());
    interpreter
        .eval_rule("data.hcx.lib.target".to_string())
        .map(|_| ())
        .map_err(|e| format!("{e:#}"))
}
