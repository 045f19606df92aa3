//! References through an import alias, written out in full for regorus.
//!
//! regorus 0.14.1 compiles `lib.sites` (after `import data.hcx.lib`) as "build the
//! whole `data.hcx.lib` document, then take `sites`", on every reference and in both
//! engines, while `data.hcx.lib.sites` is a direct, memoized rule lookup. On the
//! built-in set that costs about 40% of an RVM evaluation. The policies keep their
//! imports (they are the Rego people read, extend and export to OPA); only the text
//! handed to regorus has each `alias.` reference spelled `data.path.`, which means
//! the same thing in Rego. The differential tests (`tests/differential.rs`) compare
//! regorus on the rewritten text with OPA on the original.
//!
//! The rewrite works on regorus' own tokens (strings and comments are never touched)
//! and is conservative: a module where an alias is also used otherwise than as the
//! head of a reference (a local variable of the same name, say) is left as written.
//! Lines keep their numbers; columns after a rewritten reference shift.

use std::collections::BTreeMap;

use regorus::unstable::{Lexer, TokenKind};

/// One token: its kind, its text and its byte range.
struct Tok<'a> {
    kind: TokenKind,
    text: &'a str,
    start: usize,
    end: usize,
}

/// The text with every `alias.` reference of a `data` import written in full, or
/// `None` when there is nothing to rewrite (or the text does not lex: the parser
/// reports it).
pub fn inline(origin: &str, text: &str) -> Option<String> {
    let tokens = tokens(origin, text)?;
    let (aliases, body_from) = imports(&tokens);
    if aliases.is_empty() {
        return None;
    }
    let mut edits = Vec::new();
    for (k, t) in tokens.iter().enumerate().skip(body_from) {
        let Some(path) = aliases.get(t.text).filter(|_| matches!(t.kind, TokenKind::Ident)) else {
            continue;
        };
        let after_dot = k > 0 && tokens[k - 1].text == "." && tokens[k - 1].end == t.start;
        let dotted = tokens.get(k + 1).is_some_and(|n| n.text == "." && n.start == t.end);
        match (after_dot, dotted) {
            (false, true) => edits.push((t.start, t.end, path.as_str())),
            (true, _) => {}
            // The alias used as a name of its own: leave the module as written.
            (false, false) => return None,
        }
    }
    if edits.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len() + edits.len() * 16);
    let mut at = 0;
    for (start, end, path) in edits {
        out.push_str(&text[at..start]);
        out.push_str(path);
        at = end;
    }
    out.push_str(&text[at..]);
    Some(out)
}

fn tokens<'a>(origin: &str, text: &'a str) -> Option<Vec<Tok<'a>>> {
    let source = regorus::Source::from_contents(origin.to_string(), text.to_string()).ok()?;
    let mut lexer = Lexer::new(&source);
    let mut out = Vec::new();
    loop {
        let token = lexer.next_token().ok()?;
        if matches!(token.0, TokenKind::Eof) {
            return Some(out);
        }
        let (start, end) = (token.1.start as usize, token.1.end as usize);
        out.push(Tok {
            text: text.get(start..end)?,
            kind: token.0,
            start,
            end,
        });
    }
}

/// The aliases of the module's `import data.a.b [as c]` lines (alias -> `data.a.b`),
/// and the index of the first token after the last import.
fn imports(tokens: &[Tok]) -> (BTreeMap<String, String>, usize) {
    let mut aliases = BTreeMap::new();
    let mut body_from = 0;
    let mut k = 0;
    while k < tokens.len() {
        if tokens[k].text != "import" || !matches!(tokens[k].kind, TokenKind::Ident) {
            k += 1;
            continue;
        }
        // import IDENT (. IDENT)* [as IDENT]
        let mut parts = Vec::new();
        let mut j = k + 1;
        while let Some(t) = tokens.get(j).filter(|t| matches!(t.kind, TokenKind::Ident)) {
            parts.push(t.text);
            if tokens.get(j + 1).is_some_and(|d| d.text == ".") {
                j += 2;
            } else {
                j += 1;
                break;
            }
        }
        let alias = match (tokens.get(j), tokens.get(j + 1)) {
            (Some(a), Some(name)) if a.text == "as" => {
                j += 2;
                Some(name.text)
            }
            _ => parts.last().copied(),
        };
        if let (Some(alias), ["data", _, ..]) = (alias, parts.as_slice()) {
            aliases.insert(alias.to_string(), parts.join("."));
        }
        body_from = j;
        k = j;
    }
    (aliases, body_from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_through_an_import_are_written_in_full() {
        let text = "package p\n\nimport data.hcx.lib\nimport data.x.y as z\n\n# lib.sites in a comment\nr contains s.name if {\n\tsome s in lib.sites\n\ts.name != \"lib.target\"\n\tlib.finding(z.k, lib.manager_parts[s.name])\n}\n";
        let out = inline("p.rego", text).expect("rewritten");
        assert_eq!(
            out,
            "package p\n\nimport data.hcx.lib\nimport data.x.y as z\n\n# lib.sites in a comment\nr contains s.name if {\n\tsome s in data.hcx.lib.sites\n\ts.name != \"lib.target\"\n\tdata.hcx.lib.finding(data.x.y.k, data.hcx.lib.manager_parts[s.name])\n}\n"
        );
        assert_eq!(out.lines().count(), text.lines().count(), "lines keep their numbers");
    }

    #[test]
    fn a_module_that_uses_an_alias_as_a_name_is_left_as_written() {
        let text = "package p\nimport data.hcx.lib\nr if {\n\tlib := {\"a\": 1}\n\tlib.a == 1\n}\n";
        assert_eq!(inline("p.rego", text), None);
    }

    #[test]
    fn modules_without_data_imports_or_that_do_not_lex_are_left_alone() {
        assert_eq!(inline("p.rego", "package p\nimport rego.v1\nimport input.x\nr := x.y\n"), None);
        assert_eq!(inline("p.rego", "package p\nimport data.hcx.lib\nr := \"unterminated\n"), None);
    }
}
