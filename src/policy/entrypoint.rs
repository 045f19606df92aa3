//! The generated part of the entrypoint: `data.hcx.preflight.raw`, the raw findings
//! of every rule package under `data.hcx.rules`, listed by name, and
//! `data.hcx.preflight.kb_url_prefix`, the KB address the Rust side writes too
//! ([`crate::findings::KB_URL_PREFIX`]), so that it is written once.
//!
//! `policies/hcx/preflight.rego` enriches, waives and reports the raw findings, but
//! it does not gather them: a dynamic `data.hcx.rules[name].violation` is what
//! regorus's compiled VM (RVM) cannot compile, and it makes OPA and the interpreter
//! look up every package on each evaluation. The names are known once the policy set
//! is loaded (built-in and organisation), so this module writes one plain Rego rule
//! body per rule package, which every engine evaluates alike and which `policy
//! export` writes into the bundle beside the rest.
//!
//! The listed names are every key that `data.hcx.rules` can have: the third
//! component of each package under `hcx.rules`, the first name of each rule head in a
//! package `hcx` or `hcx.rules` (ref heads such as `rules.acme.violation contains ...`),
//! and each key under `hcx.rules` in the data documents. A name without a
//! `violation` adds nothing, exactly as with the dynamic lookup.

use std::collections::BTreeSet;

use crate::policy::{PolicyError, PolicyFile};

pub mod text;

pub use text::{names_of_data, names_of_module, needs_rule_names, BUNDLE_PATH, ORIGIN};

/// The generated module for these rule package names.
pub fn module(names: &BTreeSet<String>) -> PolicyFile {
    module_with_text(&text::text(names, crate::findings::KB_URL_PREFIX))
}

/// The generated module with a text already written (by `build.rs`, for the built-in set).
pub fn module_with_text(text: &str) -> PolicyFile {
    PolicyFile {
        bundle_path: BUNDLE_PATH.to_string(),
        origin: ORIGIN.to_string(),
        text: text.to_string(),
    }
}

/// The rule package names of a set of parsed modules (their packages as regorus read
/// them) and its data document.
pub fn names(
    packages: &[regorus::PolicyPackageComponents],
    modules: &[PolicyFile],
    data: &serde_json::Value,
) -> Result<BTreeSet<String>, PolicyError> {
    let mut out = BTreeSet::new();
    for p in packages {
        let rule_names = if needs_rule_names(&p.components) {
            let file: Vec<PolicyFile> = modules.iter().filter(|m| m.origin == p.source_file).cloned().collect();
            crate::policy::ast::parse(&file)
                .map_err(|mut e| e.remove(0))?
                .into_iter()
                .flat_map(|m| m.rules.into_iter().map(|r| r.name))
                .collect()
        } else {
            Vec::new()
        };
        names_of_module(&p.components, &rule_names, &mut out);
    }
    names_of_data(data, &mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn names_come_from_packages_ref_heads_and_data() {
        let mut out = BTreeSet::new();
        names_of_module(&s(&["hcx", "rules", "backup"]), &[], &mut out);
        names_of_module(&s(&["hcx", "rules", "acme", "deep"]), &[], &mut out);
        names_of_module(&s(&["hcx", "lib"]), &s(&["finding"]), &mut out);
        names_of_module(&s(&["hcx", "rules"]), &s(&["ref_head.violation"]), &mut out);
        names_of_module(&s(&["hcx"]), &s(&["rules.top.violation", "other"]), &mut out);
        names_of_data(&serde_json::json!({"hcx": {"rules": {"from-data": {"violation": []}}}}), &mut out);
        assert_eq!(out, s(&["acme", "backup", "from-data", "ref_head", "top"]).into_iter().collect::<BTreeSet<_>>());
    }

    #[test]
    fn names_that_are_not_identifiers_are_quoted() {
        let m = module(&s(&["backup", "from-data", "if"]).into_iter().collect());
        assert!(m.text.contains("raw contains v if some v in data.hcx.rules.backup.violation\n"), "{}", m.text);
        assert!(m.text.contains(r#"data.hcx.rules["from-data"].violation"#), "{}", m.text);
        assert!(m.text.contains(r#"data.hcx.rules["if"].violation"#), "{}", m.text);
        assert!(module(&BTreeSet::new()).text.ends_with("raw := set()\n"));
    }
}
