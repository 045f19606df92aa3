//! A small, read-only view of parsed Rego modules for the policy tools (`policy
//! test`, `policy check`): package, imports, rules and the function calls in them.
//!
//! It reads the JSON form of regorus' AST (`Engine::get_ast_as_json`), which is
//! stable enough for these walks and saves matching every AST variant in Rust.
//! It is not an evaluator and knows nothing of the semantics beyond names.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::policy::{PolicyError, PolicyFile};

/// One parsed module.
#[derive(Debug, Clone)]
pub struct Module {
    /// Where the module came from (`policies/hcx/...` or the org file), for messages.
    pub origin: String,
    /// `data.` followed by the package path, e.g. `data.hcx.rules.backup`.
    pub package: String,
    /// Import alias -> imported path (`lib` -> `data.hcx.lib`).
    pub imports: BTreeMap<String, String>,
    pub rules: Vec<Rule>,
}

/// One rule definition (each definition of an incremental rule is its own entry).
#[derive(Debug, Clone)]
pub struct Rule {
    /// The rule's name as written in its head (`violation`, `test_x`, `a.b`).
    pub name: String,
    pub is_function: bool,
    pub line: u64,
    /// The rule's AST, for walks.
    pub ast: Value,
}

/// One function call expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The called name as written (`lib.finding`, `sprintf`, `data.x.f`).
    pub path: String,
    pub line: u64,
    /// The first argument when it is a string literal.
    pub first_string_arg: Option<String>,
}

/// Parse each file on its own; every file that does not parse is reported.
pub fn parse(files: &[PolicyFile]) -> Result<Vec<Module>, Vec<PolicyError>> {
    let (modules, errors) = parse_all(files);
    if errors.is_empty() {
        Ok(modules)
    } else {
        Err(errors)
    }
}

/// Parse each file on its own: the modules that parse, and an error for each file
/// that does not.
pub fn parse_all(files: &[PolicyFile]) -> (Vec<Module>, Vec<PolicyError>) {
    let mut modules = Vec::new();
    let mut errors = Vec::new();
    for f in files {
        match parse_one(f) {
            Ok(m) => modules.push(m),
            Err(e) => errors.push(e),
        }
    }
    (modules, errors)
}

fn parse_one(f: &PolicyFile) -> Result<Module, PolicyError> {
    let compile = |message: String| PolicyError::Compile {
        file: f.origin.clone(),
        message,
    };
    let mut engine = regorus::Engine::new();
    engine.set_rego_v0(false);
    engine.add_policy(f.origin.clone(), f.text.clone()).map_err(|e| compile(format!("{e:#}")))?;
    let json = engine.get_ast_as_json().map_err(|e| compile(format!("{e:#}")))?;
    let doc: Value = serde_json::from_str(&json).map_err(|e| compile(e.to_string()))?;
    let ast = &doc[0]["ast"];
    let package = ref_path(&ast["package"]["refr"]).ok_or_else(|| compile("the package path cannot be read".into()))?;
    let mut imports = BTreeMap::new();
    for imp in ast["imports"].as_array().into_iter().flatten() {
        let Some(path) = ref_path(&imp["refr"]) else { continue };
        let alias = match imp["as"].as_object() {
            Some(span) => slice(&f.text, span).unwrap_or_default(),
            None => path.rsplit('.').next().unwrap_or_default().to_string(),
        };
        imports.insert(alias, path);
    }
    let rules = ast["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            // `Spec` (a rule with head and bodies) or `Default` (a default value).
            let (_, inner) = r.as_object()?.iter().next()?;
            let head = inner.get("head").and_then(|h| h.as_object()).and_then(|h| h.iter().next());
            let (kind, refr) = match head {
                Some((kind, h)) => (kind.as_str(), &h["refr"]),
                None => ("Default", &inner["refr"]),
            };
            Some(Rule {
                name: ref_path(refr)?,
                is_function: kind == "Func",
                line: inner["span"]["line"].as_u64().unwrap_or(0),
                ast: r.clone(),
            })
        })
        .collect();
    Ok(Module {
        origin: f.origin.clone(),
        package: format!("data.{package}"),
        imports,
        rules,
    })
}

fn slice(text: &str, span: &serde_json::Map<String, Value>) -> Option<String> {
    let start = span.get("start")?.as_u64()? as usize;
    let end = span.get("end")?.as_u64()? as usize;
    text.get(start..end).map(str::to_string)
}

/// A reference as a dotted path: `Var` and chains of `RefDot` (and `RefBrack` with a
/// string index). `None` for anything else.
pub fn ref_path(v: &Value) -> Option<String> {
    let (kind, inner) = v.as_object()?.iter().next()?;
    match kind.as_str() {
        "Var" => inner["value"].as_str().map(str::to_string),
        "RefDot" => {
            let base = ref_path(&inner["refr"])?;
            let field = inner["field"].get(1)?.as_str()?;
            Some(format!("{base}.{field}"))
        }
        "RefBrack" => {
            let base = ref_path(&inner["refr"])?;
            let index = inner["index"].get("String")?.get("value")?.as_str()?;
            Some(format!("{base}.{index}"))
        }
        _ => None,
    }
}

/// Every call expression in an AST fragment, in source order.
pub fn calls(ast: &Value) -> Vec<Call> {
    let mut out = Vec::new();
    walk(ast, &mut |key, v| {
        if key == "Call" {
            if let Some(path) = ref_path(&v["fcn"]) {
                out.push(Call {
                    path,
                    line: v["span"]["line"].as_u64().unwrap_or(0),
                    first_string_arg: v["params"].get(0).and_then(|p| p.get("String")).and_then(|s| s["value"].as_str()).map(str::to_string),
                });
            }
        }
    });
    out.sort_by_key(|c| c.line);
    out
}

/// Every object literal field `"id": "<string>"` in an AST fragment, with its line.
pub fn id_literals(ast: &Value) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    walk(ast, &mut |key, v| {
        if key != "Object" {
            return;
        }
        for field in v["fields"].as_array().into_iter().flatten() {
            let k = field.get(1).and_then(|k| k.get("String")).and_then(|s| s["value"].as_str());
            let val = field.get(2).and_then(|k| k.get("String"));
            if let (Some("id"), Some(val)) = (k, val) {
                if let Some(id) = val["value"].as_str() {
                    out.push((id.to_string(), val["span"]["line"].as_u64().unwrap_or(0)));
                }
            }
        }
    });
    out
}

/// The lines of a rule's expressions (head value and body statements), as regorus'
/// coverage counts them: for modules that no test evaluated, which its coverage
/// report leaves out.
pub fn expression_lines(rule: &Value) -> BTreeSet<u64> {
    let mut lines = BTreeSet::new();
    let Some((_, inner)) = rule.as_object().and_then(|o| o.iter().next()) else {
        return lines;
    };
    let mut parts: Vec<&Value> = Vec::new();
    if let Some((_, head)) = inner.get("head").and_then(|h| h.as_object()).and_then(|h| h.iter().next()) {
        parts.push(&head["assign"]);
        parts.push(&head["key"]);
    }
    if let Some(value) = inner.get("value") {
        parts.push(value);
    }
    for body in inner.get("bodies").and_then(|b| b.as_array()).into_iter().flatten() {
        for stmt in body["query"]["stmts"].as_array().into_iter().flatten() {
            if stmt["literal"].get("SomeVars").is_none() {
                parts.push(&stmt["literal"]);
            }
        }
    }
    for part in parts {
        walk(part, &mut |key, v| {
            if key == "span" {
                if let Some(line) = v["line"].as_u64() {
                    lines.insert(line);
                }
            }
        });
    }
    lines
}

/// Call `f` with every key and value of an AST fragment, depth first.
pub fn walk(v: &Value, f: &mut dyn FnMut(&str, &Value)) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                f(k, child);
                walk(child, f);
            }
        }
        Value::Array(items) => {
            for child in items {
                walk(child, f);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(text: &str) -> Module {
        let f = PolicyFile {
            bundle_path: "a.rego".into(),
            origin: "a.rego".into(),
            text: text.into(),
        };
        parse(&[f]).map_err(|e| format!("{e:?}")).unwrap().remove(0)
    }

    #[test]
    fn reads_package_imports_rules_and_calls() {
        let m = module("package a.b\n\nimport data.hcx.lib as l\nimport data.x.y\n\nviolation contains l.finding(\"q\", 1, 2, 3) if true\n\nc.d(x) := sprintf(\"%v\", [x])\n\nv contains {\"id\": \"z\"} if true\n");
        assert_eq!(m.package, "data.a.b");
        assert_eq!(m.imports.get("l").map(String::as_str), Some("data.hcx.lib"));
        assert_eq!(m.imports.get("y").map(String::as_str), Some("data.x.y"));
        let names: Vec<_> = m.rules.iter().map(|r| (r.name.as_str(), r.is_function, r.line)).collect();
        assert_eq!(names, vec![("violation", false, 6), ("c.d", true, 8), ("v", false, 10)]);
        let c = calls(&m.rules[0].ast);
        assert_eq!(c, vec![Call { path: "l.finding".into(), line: 6, first_string_arg: Some("q".into()) }]);
        assert_eq!(calls(&m.rules[1].ast)[0].path, "sprintf");
        assert_eq!(id_literals(&m.rules[2].ast), vec![("z".to_string(), 10)]);
    }

    #[test]
    fn every_file_that_does_not_parse_is_reported() {
        let bad = |name: &str| PolicyFile {
            bundle_path: name.into(),
            origin: name.into(),
            text: "package x\n\nr if {\n".into(),
        };
        let errors = parse(&[bad("one.rego"), bad("two.rego")]).unwrap_err();
        assert_eq!(errors.len(), 2);
        assert!(errors[1].to_string().contains("two.rego"), "{}", errors[1]);
    }
}
