//! The one outcome of a command, and its exit code (the only place that maps them).

use std::process::ExitCode;

use hcx_preflight::findings::Verdict;
use hcx_preflight::report::fleet::Outcome as EstateOutcome;
use hcx_preflight::upgrade::GateResult;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: allowed (or a command that succeeded).
    Allowed,
    /// 1: denied by policy (or policy tests failed, or problems were found).
    Denied,
    /// 2: the tool could not decide.
    Error,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(match status {
            ExitStatus::Allowed => 0,
            ExitStatus::Denied => 1,
            ExitStatus::Error => 2,
        })
    }
}

impl From<Verdict> for ExitStatus {
    fn from(v: Verdict) -> Self {
        match v {
            Verdict::Allow => ExitStatus::Allowed,
            Verdict::Deny => ExitStatus::Denied,
        }
    }
}

/// A fleet's outcome is its worst estate's (see `FleetReport::outcome`).
impl From<EstateOutcome> for ExitStatus {
    fn from(o: EstateOutcome) -> Self {
        match o {
            EstateOutcome::Allow => ExitStatus::Allowed,
            EstateOutcome::Deny => ExitStatus::Denied,
            EstateOutcome::Undecided => ExitStatus::Error,
        }
    }
}

impl From<GateResult> for ExitStatus {
    fn from(r: GateResult) -> Self {
        match r {
            GateResult::Allowed => ExitStatus::Allowed,
            GateResult::Denied => ExitStatus::Denied,
            GateResult::Failed => ExitStatus::Error,
        }
    }
}
