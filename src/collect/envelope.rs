//! The response envelopes of the two HCX APIs (hcx-facts.md, "Response envelopes"):
//! `{success, completed, data: {items}}` for `cloudConfigs` and inventory lists,
//! top-level `{items}` for interconnect lists (some clients also see `rows`), the 9443
//! global config `{data: {items: [{config}]}}`, and flat objects. Anything else is a
//! [`ShapeError`]: the caller leaves the fact `null` and records why. Nothing here guesses.

use serde_json::Value;

/// The answer did not have the expected shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unexpected answer: {0}")]
pub struct ShapeError(pub String);

fn shape(msg: impl Into<String>) -> ShapeError {
    ShapeError(msg.into())
}

/// An `{success: false, ...}` answer is a failure whatever it carries.
fn check_success(v: &Value) -> Result<(), ShapeError> {
    if v.get("success") == Some(&Value::Bool(false)) {
        let detail = v
            .get("errors")
            .map(|e| e.to_string().chars().take(200).collect::<String>())
            .unwrap_or_default();
        return Err(shape(
            format!("the manager reported success=false {detail}")
                .trim_end()
                .to_string(),
        ));
    }
    Ok(())
}

fn as_items<'a>(v: Option<&'a Value>, what: &str) -> Result<&'a [Value], ShapeError> {
    match v {
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(shape(format!("`{what}` is {} instead of a list", kind(other)))),
        None => Err(shape(format!("no `{what}` list"))),
    }
}

/// The JSON type of a value, for messages.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A short, value-free excerpt of an answer's shape for an `errors` line: the JSON type
/// and, for an object, its first keys (sorted, each cut to 32 printable characters).
/// Values are never shown: they could hold names, tokens or passwords.
pub fn shape_excerpt(v: &Value) -> String {
    const KEYS: usize = 8;
    let Value::Object(map) = v else {
        return kind(v).to_string();
    };
    let mut keys: Vec<String> = map
        .keys()
        .map(|k| k.chars().filter(|c| c.is_ascii_graphic()).take(32).collect())
        .collect();
    keys.sort();
    let more = keys.len().saturating_sub(KEYS);
    keys.truncate(KEYS);
    let tail = if more > 0 { format!(", +{more} more") } else { String::new() };
    format!("an object with keys [{}{tail}]", keys.join(", "))
}

/// The first list found under `keys` (each a path of object keys) in `v`.
fn first_list<'a>(v: &'a Value, keys: &[&[&str]]) -> Option<Result<&'a [Value], ShapeError>> {
    keys.iter().find_map(|path| {
        let found = path.iter().try_fold(v, |node, k| node.get(*k))?;
        Some(as_items(Some(found), &path.join(".")))
    })
}

/// `{success, completed, data: {items: [...]}}`; a top-level `items`/`rows` list is
/// accepted too (implementations differ in which envelope an endpoint uses).
pub fn data_items(v: &Value) -> Result<&[Value], ShapeError> {
    check_success(v)?;
    first_list(v, &[&["data", "items"], &["data", "rows"], &["items"], &["rows"]])
        .unwrap_or_else(|| Err(shape(format!("no `data.items` list in {}", kind(v)))))
}

/// Top-level `{items: [...]}`, or `{rows: [...]}` (both seen in client code); the
/// `{data: {items}}` envelope is accepted too.
pub fn top_items(v: &Value) -> Result<&[Value], ShapeError> {
    check_success(v)?;
    first_list(v, &[&["items"], &["rows"], &["data", "items"], &["data", "rows"]])
        .unwrap_or_else(|| Err(shape(format!("no `items` or `rows` list in {}", kind(v)))))
}

/// 9443 global config: `{data: {items: [{config: {...}}]}}`. `Ok(None)` when the list is
/// empty (nothing of that kind is registered).
pub fn admin_config(v: &Value) -> Result<Option<&Value>, ShapeError> {
    let items = data_items(v)?;
    let Some(first) = items.first() else {
        return Ok(None);
    };
    match first.get("config") {
        Some(c @ Value::Object(_)) => Ok(Some(c)),
        Some(other) => Err(shape(format!("`data.items[0].config` is {}", kind(other)))),
        None => Err(shape("no `data.items[0].config` object")),
    }
}

/// A flat object.
pub fn flat(v: &Value) -> Result<&serde_json::Map<String, Value>, ShapeError> {
    check_success(v)?;
    v.as_object()
        .ok_or_else(|| shape(format!("{} instead of an object", kind(v))))
}

/// A string field, trimmed; `None` when absent, null, empty or not a string.
pub fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A string or number field as text (build numbers come as either).
pub fn text_field(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The first of several keys that holds a string or number, as text.
pub fn first_text(v: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| text_field(v, k))
}

/// A boolean field (`true`/`false`, or the strings "true"/"false").
pub fn bool_field(v: &Value, key: &str) -> Option<bool> {
    match v.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// A non-negative integer field (number, or a string of digits).
pub fn count_field(v: &Value, key: &str) -> Option<u64> {
    match v.get(key)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn data_envelope() {
        let v = json!({"success": true, "completed": true, "data": {"items": [{"a": 1}]}});
        assert_eq!(data_items(&v).unwrap().len(), 1);
        // The other envelope is accepted; anything else is not.
        assert_eq!(data_items(&json!({"items": [1]})).unwrap().len(), 1);
        assert!(data_items(&json!({"payload": {"items": [1]}})).is_err());
        assert!(data_items(&json!({"data": {"items": {}}})).is_err());
        let failed = json!({"success": false, "errors": [{"text": "boom"}], "data": {"items": []}});
        assert!(data_items(&failed).unwrap_err().0.contains("boom"));
    }

    #[test]
    fn top_level_items_or_rows() {
        assert_eq!(top_items(&json!({"items": [1, 2]})).unwrap().len(), 2);
        assert_eq!(top_items(&json!({"rows": [1]})).unwrap().len(), 1);
        assert_eq!(top_items(&json!({"data": {"items": [1]}})).unwrap().len(), 1);
        assert!(top_items(&json!({"payload": {"items": [1]}})).is_err());
        assert!(top_items(&json!([1, 2])).is_err());
        assert!(top_items(&json!({"items": "x"})).is_err());
    }

    #[test]
    fn admin_config_envelope() {
        let v = json!({"data": {"items": [{"config": {"url": "u"}}]}});
        assert_eq!(admin_config(&v).unwrap().unwrap()["url"], "u");
        assert_eq!(admin_config(&json!({"data": {"items": []}})).unwrap(), None);
        assert!(admin_config(&json!({"data": {"items": [{"url": "u"}]}})).is_err());
        assert!(admin_config(&json!({"config": {}})).is_err());
    }

    #[test]
    fn shape_excerpts_name_keys_never_values() {
        let v = json!({"password": "hunter2", "b": 1, "a": {"x": "secret"}});
        let e = shape_excerpt(&v);
        assert_eq!(e, "an object with keys [a, b, password]");
        assert!(!e.contains("hunter2") && !e.contains("secret"));
        assert_eq!(shape_excerpt(&json!(["x"])), "a list");
        let many: serde_json::Map<String, Value> = (0..10).map(|i| (format!("k{i}"), json!(i))).collect();
        assert!(shape_excerpt(&Value::Object(many)).ends_with("k7, +2 more]"));
    }

    #[test]
    fn flat_objects_and_fields() {
        assert!(flat(&json!([])).is_err());
        let v = json!({"n": 4, "s": " 12 ", "b": "TRUE", "e": ""});
        assert!(flat(&v).is_ok());
        assert_eq!(text_field(&v, "n").as_deref(), Some("4"));
        assert_eq!(text_field(&v, "s").as_deref(), Some("12"));
        assert_eq!(str_field(&v, "e"), None);
        assert_eq!(bool_field(&v, "b"), Some(true));
        assert_eq!(count_field(&v, "s"), Some(12));
        assert_eq!(first_text(&v, &["x", "n"]).as_deref(), Some("4"));
    }
}
