//! The portability lint of `policy check`: Rego constructs whose meaning differs between
//! regorus (the engine hcx-preflight embeds) and OPA (the engine an organisation may serve
//! the exported bundle from), each reported with its file, line and the portable form.
//!
//! Two kinds are known (the conformance tests prove each against OPA v1.20.2):
//! 1. **a negated call whose argument is a reference that may be undefined**:
//!    `not is_string(x.severity)` with no `severity` key is *true* in regorus and
//!    *undefined* in OPA (a call with an undefined argument is undefined, and so is its
//!    negation), so a rule that relies on it fires in one engine only. The same holds for
//!    `not x.y in S`. References to documents (`data.…`, rules of the package, import
//!    aliases) are left out: they are the policy's own rules, not facts that may be absent.
//! 2. **a call OPA's type checker rejects**: OPA refuses to load a module that passes a
//!    literal of the wrong type, either to a builtin that takes strings (`startswith(null,
//!    "a")`) or to a function of the set whose every definition compares that parameter
//!    with `==` to literals of other types (`healthy(s) if s == "healthy"` called as
//!    `healthy(null)`). regorus evaluates both.
//!
//! It is a lint over regorus' AST (see [`crate::policy::ast`]), not a type checker: it reports
//! what it can see without evaluating, and never rewrites a policy.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{resolve, Problem};
use crate::policy::ast::{self, Module};

/// Builtins whose listed parameters OPA types as `string`.
const STRING_PARAMS: &[(&str, &[usize])] = &[
    ("startswith", &[0, 1]),
    ("endswith", &[0, 1]),
    ("contains", &[0, 1]),
    ("indexof", &[0, 1]),
    ("lower", &[0]),
    ("upper", &[0]),
    ("split", &[0, 1]),
    ("replace", &[0, 1, 2]),
    ("trim", &[0, 1]),
    ("trim_left", &[0, 1]),
    ("trim_right", &[0, 1]),
    ("trim_prefix", &[0, 1]),
    ("trim_suffix", &[0, 1]),
    ("trim_space", &[0]),
    ("sprintf", &[0]),
    ("concat", &[0]),
    ("regex.match", &[0, 1]),
    ("time.parse_rfc3339_ns", &[0]),
];

/// Every portability problem of the parsed modules (built-in, organisation and tests).
pub fn check(parsed: &[Module]) -> Vec<Problem> {
    let params = function_params(parsed);
    let rules_of: BTreeMap<&str, BTreeSet<&str>> = parsed.iter().fold(BTreeMap::new(), |mut acc, m| {
        let names = acc.entry(m.package.as_str()).or_insert_with(BTreeSet::new);
        names.extend(m.rules.iter().map(|r| r.name.split('.').next().unwrap_or(&r.name)));
        acc
    });
    let mut out = Vec::new();
    for m in parsed {
        let documents = |root: &str| {
            root == "data" || m.imports.contains_key(root) || rules_of.get(m.package.as_str()).is_some_and(|s| s.contains(root))
        };
        for r in &m.rules {
            ast::walk(&r.ast, &mut |key, v| {
                if key == "query" {
                    out.extend(negations_in_query(m, v, &documents));
                }
                if key == "Call" {
                    out.extend(rejected_call(m, v, &params));
                }
            });
        }
    }
    out
}

/// The negations of one query (a rule body or a comprehension), in order: a reference
/// that an earlier statement of the same query used is defined there, so it is left out.
fn negations_in_query(m: &Module, query: &Value, documents: &dyn Fn(&str) -> bool) -> Vec<Problem> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for stmt in query["stmts"].as_array().into_iter().flatten() {
        let literal = &stmt["literal"];
        if let Some(not_expr) = literal.get("NotExpr") {
            out.extend(negated_undefined(m, not_expr, documents, &seen));
            continue;
        }
        ast::walk(literal, &mut |key, v| {
            if key == "RefDot" || key == "RefBrack" {
                if let Some(p) = ast::ref_path(&serde_json::json!({ key: v })) {
                    seen.insert(p);
                }
            }
        });
    }
    out
}

/// The root variable of a reference (`x` of `x.a.b`, `input` of `input.q[0]`).
fn ref_root(v: &Value) -> Option<&str> {
    let (kind, inner) = v.as_object()?.iter().next()?;
    match kind.as_str() {
        "Var" => inner["value"].as_str(),
        "RefDot" | "RefBrack" => ref_root(&inner["refr"]),
        _ => None,
    }
}

fn is_field_ref(v: &Value) -> bool {
    v.get("RefDot").is_some() || v.get("RefBrack").is_some()
}

/// `object.get(x, "a", null)` / `object.get(x, ["a", "b"], null)` for a static reference `x.a.b`.
fn portable_get(path: &str) -> String {
    let mut parts = path.split('.');
    let root = parts.next().unwrap_or(path);
    let keys: Vec<String> = parts.map(|p| format!("\"{p}\"")).collect();
    match keys.as_slice() {
        [one] => format!("object.get({root}, {one}, null)"),
        many => format!("object.get({root}, [{}], null)", many.join(", ")),
    }
}

fn negated_undefined(m: &Module, not_expr: &Value, documents: &dyn Fn(&str) -> bool, seen: &BTreeSet<String>) -> Vec<Problem> {
    let expr = &not_expr["expr"];
    let (what, args): (String, Vec<&Value>) = if let Some(call) = expr.get("Call") {
        let name = ast::ref_path(&call["fcn"]).unwrap_or_else(|| "a function".into());
        (format!("`{name}(…)`"), call["params"].as_array().map(|a| a.iter().collect()).unwrap_or_default())
    } else if let Some(member) = expr.get("Membership") {
        ("a membership test `… in …`".into(), [&member["key"], &member["value"]].into_iter().filter(|v| !v.is_null()).collect())
    } else {
        return Vec::new();
    };
    args.into_iter()
        .filter(|a| is_field_ref(a) && ref_root(a).is_some_and(|root| !documents(root)))
        .filter(|a| ast::ref_path(a).is_none_or(|p| !seen.contains(&p)))
        .map(|a| {
            let shown = ast::ref_path(a);
            let portable = match &shown {
                Some(p) => format!("pass `{}` instead", portable_get(p)),
                None => "bind the reference first, or pass it through object.get with a default".into(),
            };
            Problem {
                file: m.origin.clone(),
                line: not_expr["span"]["line"].as_u64(),
                message: format!(
                    "not portable to OPA: `not` of {what} whose argument `{}` may be undefined: regorus reads the negation as true, OPA as undefined (the rule silently does not fire); portable form: {portable}",
                    shown.as_deref().unwrap_or("a reference"),
                ),
            }
        })
        .collect()
}

/// The literal type of an AST node, as OPA's type checker names it.
fn literal_type(v: &Value) -> Option<&'static str> {
    let (kind, _) = v.as_object()?.iter().next()?;
    Some(match kind.as_str() {
        "Null" => "null",
        "Bool" => "boolean",
        "Number" => "number",
        "String" | "RawString" => "string",
        _ => return None,
    })
}

/// For each function of the set (absolute name) and parameter index: the literal types
/// that its definitions compare the parameter with (`p == "x"`), as OPA infers its type.
/// `None`: some definition leaves the parameter unconstrained (any type is accepted).
type ParamTypes = BTreeMap<(String, usize), Option<BTreeSet<&'static str>>>;

fn function_params(parsed: &[Module]) -> ParamTypes {
    let mut out: ParamTypes = BTreeMap::new();
    for m in parsed {
        for r in m.rules.iter().filter(|r| r.is_function) {
            let spec = &r.ast["Spec"];
            let args = spec["head"]["Func"]["args"].as_array().cloned().unwrap_or_default();
            for (i, arg) in args.iter().enumerate() {
                let name = arg.get("Var").and_then(|v| v["value"].as_str()).filter(|n| *n != "_");
                let mut types = BTreeSet::new();
                if let Some(name) = name {
                    ast::walk(&spec["bodies"], &mut |key, v| {
                        if key != "BoolExpr" || v["op"] != "Eq" {
                            return;
                        }
                        for (a, b) in [(&v["lhs"], &v["rhs"]), (&v["rhs"], &v["lhs"])] {
                            if a.get("Var").and_then(|x| x["value"].as_str()) == Some(name) {
                                types.extend(literal_type(b));
                            }
                        }
                    });
                }
                let this = if types.is_empty() { None } else { Some(types) };
                let slot = out.entry((format!("{}.{}", m.package, r.name), i)).or_insert_with(|| this.clone());
                *slot = match (slot.take(), this) {
                    (Some(mut a), Some(b)) => {
                        a.extend(b);
                        Some(a)
                    }
                    _ => None,
                };
            }
        }
    }
    out
}

fn rejected_call(m: &Module, call: &Value, params: &ParamTypes) -> Vec<Problem> {
    let Some(path) = ast::ref_path(&call["fcn"]) else {
        return Vec::new();
    };
    let args = call["params"].as_array().cloned().unwrap_or_default();
    let builtin = STRING_PARAMS.iter().find(|(name, _)| *name == path);
    let absolute = resolve(m, &path);
    let mut out = Vec::new();
    for (i, arg) in args.iter().enumerate() {
        let Some(have) = literal_type(arg) else { continue };
        let want: BTreeSet<&str> = match builtin {
            Some((_, idx)) if idx.contains(&i) => BTreeSet::from(["string"]),
            Some(_) => continue,
            None => match params.get(&(absolute.clone(), i)) {
                Some(Some(types)) => types.clone(),
                _ => continue,
            },
        };
        if want.contains(have) {
            continue;
        }
        let want: Vec<&str> = want.into_iter().collect();
        out.push(Problem {
            file: m.origin.clone(),
            line: call["span"]["line"].as_u64(),
            message: format!(
                "not portable to OPA: its type checker rejects `{path}` with a {have} as argument {} (it takes {}), so OPA refuses to load the module; portable form: pass the value through a variable of mixed type, e.g. `every v in [\"…\", {lit}] {{ {path}(v) … }}`, or give the function a definition that accepts a {have}",
                i + 1,
                want.join(" or "),
                lit = have,
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicyFile;

    fn problems(text: &str) -> Vec<String> {
        let f = PolicyFile {
            bundle_path: "a.rego".into(),
            origin: "a.rego".into(),
            text: text.into(),
        };
        let parsed = ast::parse(&[f]).map_err(|e| format!("{e:?}")).unwrap();
        check(&parsed).into_iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn a_negated_call_on_a_possibly_undefined_reference() {
        let p = problems("package a\n\nr if not is_string(input.x.severity)\n\ns(v) if not startswith(v.name, \"a\")\n");
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].starts_with("a.rego:3: not portable to OPA"), "{}", p[0]);
        assert!(p[0].contains("`object.get(input, [\"x\", \"severity\"], null)`"), "{}", p[0]);
        assert!(p[1].contains("a.rego:5:") && p[1].contains("`object.get(v, \"name\", null)`"), "{}", p[1]);
    }

    #[test]
    fn a_negated_membership_on_a_possibly_undefined_reference() {
        let p = problems("package a\n\nr if not input.kind in {\"a\"}\n");
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].contains("membership") && p[0].contains("object.get(input, \"kind\", null)"), "{}", p[0]);
    }

    #[test]
    fn portable_negations_pass() {
        let p = problems(
            "package a\n\nimport data.b\n\nx := 1\n\nr if not is_string(object.get(input, \"s\", null))\n\nq if not b.f(x)\n\nt(v) if not is_string(v)\n\nu if not data.c.f(1)\n\nw if {\n\tis_string(input.v)\n\tnot startswith(input.v, \"a\")\n}\n",
        );
        assert_eq!(p, Vec::<String>::new());
    }

    #[test]
    fn calls_the_type_checker_rejects() {
        let p = problems("package a\n\nhealthy(s) if s == \"healthy\"\n\nt if not healthy(null)\n\nu if startswith(null, \"a\")\n");
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].starts_with("a.rego:5:") && p[0].contains("`healthy` with a null as argument 1 (it takes string)"), "{}", p[0]);
        assert!(p[1].starts_with("a.rego:7:") && p[1].contains("`startswith` with a null"), "{}", p[1]);
    }

    #[test]
    fn a_parameter_left_open_by_one_definition_accepts_anything() {
        let p = problems("package a\n\nf(s) if s == \"a\"\n\nf(s) if is_null(s)\n\ng(s) if s != \"a\"\n\nt if f(null)\n\nu if g(null)\n\nv if f(\"a\")\n");
        assert_eq!(p, Vec::<String>::new());
    }
}
