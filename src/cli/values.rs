//! The command line's words for the library's enums. The library knows no clap: each enum
//! an option takes has a `clap::ValueEnum` twin here, whose doc comments are the help of
//! its values (`--help`, the completions, the man page), and the option keeps the
//! library's type through [`parser`].

use clap::builder::{EnumValueParser, TypedValueParser};
use clap::ValueEnum;

use hcx_preflight::plan::{FailOn, Phase};
use hcx_preflight::policy::engine::EngineChoice;
use hcx_preflight::report::Format;
use hcx_preflight::route::render::RouteFormat;

/// The value parser of an option of the library's type `L`, with the words and help of
/// its twin `A`.
pub fn parser<A, L>() -> impl TypedValueParser<Value = L>
where
    A: ValueEnum + Clone + Send + Sync + 'static,
    L: From<A> + Clone + Send + Sync + 'static,
{
    EnumValueParser::<A>::new().map(L::from)
}

/// A `ValueEnum` twin of a library enum, converted both ways by exhaustive matches, so that
/// a variant added on either side does not compile until the other has it too.
macro_rules! twin {
    ($(#[$doc:meta])* $twin:ident = $lib:ident { $($(#[$vdoc:meta])* $variant:ident,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
        pub enum $twin {
            $($(#[$vdoc])* $variant,)+
        }

        impl From<$twin> for $lib {
            fn from(v: $twin) -> Self {
                match v {
                    $($twin::$variant => $lib::$variant,)+
                }
            }
        }

        impl From<$lib> for $twin {
            fn from(v: $lib) -> Self {
                match v {
                    $($lib::$variant => $twin::$variant,)+
                }
            }
        }
    };
}

twin! {
    /// `--phase`.
    PhaseArg = Phase {
        /// Before upgrading the HCX Managers.
        Managers,
        /// Before upgrading the Service Mesh appliances (after the managers).
        ServiceMesh,
        /// After the managers' upgrade: the post-upgrade checks.
        Verify,
        /// After the Service Mesh upgrade: every appliance on its manager's version, tunnels up.
        VerifyMesh,
    }
}

twin! {
    /// `--fail-on`.
    FailOnArg = FailOn {
        /// Only unwaived `deny` findings deny.
        Deny,
        /// Unwaived `warn` findings deny too.
        Warn,
    }
}

twin! {
    /// `--format` of `check`, `upgrade` and `verify`.
    FormatArg = Format {
        /// Human-readable tables grouped by severity (80 columns).
        Table,
        /// The decision record (contract section 4).
        Json,
        /// JUnit XML: one test case per rule id and site, for CI test reports.
        Junit,
        /// SARIF 2.1.0, for code-scanning dashboards.
        Sarif,
        /// A Markdown compliance report for the change record.
        Markdown,
        /// One self-contained HTML page: readiness matrix and findings (made for fleets).
        Html,
    }
}

twin! {
    /// `--format` of `plan`.
    RouteFormatArg = RouteFormat {
        /// The route, hop by hop, with each step's judgement.
        Table,
        /// The route document (stable; see the README).
        Json,
        /// A numbered list of steps with commands, for a change request.
        Markdown,
    }
}

twin! {
    /// `--engine`.
    EngineArg = EngineChoice {
        /// The RVM for the built-in modules (with any data and config) once the differential
        /// tests show it agreeing ([`RVM_VERIFIED`]); the interpreter otherwise.
        Auto,
        /// Always the interpreter.
        Interpreter,
        /// The RVM, organisation modules too; a set it cannot compile is an error.
        Rvm,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each value's command-line word beside the library's word for it.
    fn words<A: ValueEnum + Copy, L: From<A>>(word: fn(L) -> &'static str) -> Vec<(String, &'static str)> {
        let cli = |v: &A| v.to_possible_value().expect("a word").get_name().to_string();
        A::value_variants().iter().map(|v| (cli(v), word(L::from(*v)))).collect()
    }

    /// The command line's word of each value is the library's (as records serialize it,
    /// inventories name it and messages say it).
    #[test]
    fn the_words_are_the_librarys() {
        let pairs = [words::<PhaseArg, Phase>(Phase::as_str), words::<FailOnArg, FailOn>(FailOn::as_str), words::<FormatArg, Format>(Format::as_str)];
        for (cli, lib) in pairs.iter().flatten() {
            assert_eq!(cli, lib);
        }
    }
}
