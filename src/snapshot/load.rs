//! Reading a snapshot from a file or standard input (`-`): bounded in size, the schema
//! version probed first, every type error with the path of its field and the file's line
//! and column, and every key the model does not know returned as a [`SnapshotWarning`]
//! (data: the command layer decides where to print it; nothing prints here).

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::{Snapshot, SnapshotError, MAX_SNAPSHOT_BYTES, SCHEMA_VERSION};

/// The path that stands for standard input.
pub const STDIN: &str = "-";

/// How standard input is named in messages.
const STDIN_NAME: &str = "<stdin>";

/// A key of the snapshot that the model does not know, e.g. `sites[0].manager.fqdnn`. It is
/// ignored (newer collectors stay readable), and reported so that a typo is not silent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotWarning {
    /// The snapshot file (`<stdin>` for standard input).
    pub file: PathBuf,
    /// Where the key is, as `sites[0].manager.fqdnn`.
    pub path: String,
}

impl fmt::Display for SnapshotWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "snapshot {}: unknown key `{}` ignored (not in the snapshot format: a typo, or a newer collector?)",
            self.file.display(),
            self.path
        )
    }
}

/// `true` for the path that means standard input.
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == STDIN
}

/// The name a path has in messages: `<stdin>` for `-`.
pub fn display_name(path: &Path) -> PathBuf {
    if is_stdin(path) {
        PathBuf::from(STDIN_NAME)
    } else {
        path.to_path_buf()
    }
}

/// The bytes of a snapshot file, or of standard input for `-`; refused when larger than
/// [`MAX_SNAPSHOT_BYTES`] (a file from its size alone, standard input after that many bytes).
pub fn read_input(path: &Path) -> Result<Vec<u8>, SnapshotError> {
    if is_stdin(path) {
        read_bounded(std::io::stdin().lock(), path)
    } else {
        read_file(path)
    }
}

/// The bytes of a snapshot file, refused from its size alone when it is too large.
pub fn read_file(path: &Path) -> Result<Vec<u8>, SnapshotError> {
    let size = std::fs::metadata(path).map_err(|e| io_error(path, e))?.len();
    if size > MAX_SNAPSHOT_BYTES {
        return Err(SnapshotError::TooLarge {
            path: path.to_path_buf(),
            size,
            max: MAX_SNAPSHOT_BYTES,
        });
    }
    std::fs::read(path).map_err(|e| io_error(path, e))
}

/// At most [`MAX_SNAPSHOT_BYTES`] from a reader (standard input).
fn read_bounded(reader: impl Read, path: &Path) -> Result<Vec<u8>, SnapshotError> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_SNAPSHOT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(path, e))?;
    if bytes.len() as u64 > MAX_SNAPSHOT_BYTES {
        return Err(SnapshotError::TooLarge {
            path: display_name(path),
            size: bytes.len() as u64,
            max: MAX_SNAPSHOT_BYTES,
        });
    }
    Ok(bytes)
}

fn io_error(path: &Path, error: std::io::Error) -> SnapshotError {
    match error.kind() {
        std::io::ErrorKind::NotFound => SnapshotError::NotFound { path: path.to_path_buf() },
        _ => SnapshotError::Io {
            path: display_name(path),
            error,
        },
    }
}

/// Parse and validate snapshot bytes; `path` names them in messages.
pub fn parse(bytes: &[u8], path: &Path) -> Result<(Snapshot, Vec<SnapshotWarning>), SnapshotError> {
    let name = display_name(path);
    if bytes.len() as u64 > MAX_SNAPSHOT_BYTES {
        return Err(SnapshotError::TooLarge {
            path: name,
            size: bytes.len() as u64,
            max: MAX_SNAPSHOT_BYTES,
        });
    }
    // First only the schema version, so that a newer format gets a clear message instead
    // of a confusing field error.
    let probe: Probe = serde_json::from_slice(bytes).map_err(|e| json_error(&name, "", e))?;
    match probe.0 {
        Some(serde_json::Value::Number(n)) if n.as_u64() == Some(u64::from(SCHEMA_VERSION)) => {}
        Some(other) => {
            return Err(SnapshotError::SchemaVersion {
                path: name,
                found: other.to_string(),
            })
        }
        None => {
            return Err(SnapshotError::Invalid {
                path: name,
                message: "it has no schema_version; is this an hcx-preflight snapshot?".into(),
            })
        }
    }
    let mut unknown = Vec::new();
    let mut track = serde_path_to_error::Track::new();
    let mut json = serde_json::Deserializer::from_slice(bytes);
    let result = {
        let tracked = serde_path_to_error::Deserializer::new(&mut json, &mut track);
        serde_ignored::deserialize(tracked, |p| unknown.push(field_path(&p)))
    };
    let snapshot: Snapshot = match result.and_then(|s| json.end().map(|()| s)) {
        Ok(s) => s,
        Err(e) => {
            let field = track.path().to_string();
            return Err(json_error(&name, if field == "." { "" } else { &field }, e));
        }
    };
    for path in compare_with_model(bytes, &snapshot).map_err(|field| SnapshotError::Positional {
        path: name.clone(),
        field,
    })? {
        if !unknown.contains(&path) {
            unknown.push(path);
        }
    }
    snapshot.validate().map_err(|message| SnapshotError::Invalid {
        path: name.clone(),
        message,
    })?;
    let warnings = unknown
        .into_iter()
        .map(|path| SnapshotWarning { file: name.clone(), path })
        .collect();
    Ok((snapshot, warnings))
}

/// The document compared with the snapshot written back (the model's view of it), for two
/// things serde does not report:
/// - an array where the model has an object: serde reads it as the struct's fields in order
///   (`"manager": []` is a manager of defaults, `["x", "4.3.2"]` one whose fqdn is `x`); a
///   snapshot names its fields, so this is an error (`Err` with the array's path);
/// - unknown keys inside the structs that flatten the attestation stamp (backup, connections,
///   site pairs): serde buffers their keys, so serde_ignored never sees them ignored. A key
///   the model does not write back is unknown unless its value is null or empty (what the
///   model leaves out with `skip_serializing_if`).
fn compare_with_model(bytes: &[u8], snapshot: &Snapshot) -> Result<Vec<String>, String> {
    use serde_json::Value;
    fn empty(v: &Value) -> bool {
        match v {
            Value::Null => true,
            Value::Array(a) => a.is_empty(),
            Value::Object(o) => o.is_empty(),
            _ => false,
        }
    }
    fn walk(input: &Value, model: &Value, path: &str, unknown: &mut Vec<String>) -> Result<(), String> {
        let join = |k: &str| if path.is_empty() { k.to_string() } else { format!("{path}.{k}") };
        match (input, model) {
            (Value::Array(_), Value::Object(_)) => Err(path.to_string()),
            (Value::Object(i), Value::Object(m)) => i.iter().try_for_each(|(k, v)| match m.get(k) {
                Some(mv) => walk(v, mv, &join(k), unknown),
                None if !empty(v) => {
                    unknown.push(join(k));
                    Ok(())
                }
                None => Ok(()),
            }),
            (Value::Array(i), Value::Array(m)) => {
                i.iter().zip(m).enumerate().try_for_each(|(n, (v, mv))| walk(v, mv, &format!("{path}[{n}]"), unknown))
            }
            _ => Ok(()),
        }
    }
    // Both succeed on a document that has just deserialized into a snapshot.
    let (Ok(input), Ok(model)) = (serde_json::from_slice::<Value>(bytes), serde_json::to_value(snapshot)) else {
        return Ok(Vec::new());
    };
    let mut unknown = Vec::new();
    walk(&input, &model, "", &mut unknown)?;
    Ok(unknown)
}

/// A serde_json error as a snapshot error: syntax errors with their position, type errors
/// also with the field's path and in words a reader of JSON uses.
fn json_error(path: &Path, field: &str, e: serde_json::Error) -> SnapshotError {
    // serde_json reports column 0 for a type error found before the value's first byte.
    let (line, column) = (e.line(), e.column().max(1));
    let message = strip_position(&e.to_string());
    if e.is_data() {
        SnapshotError::Type {
            path: path.to_path_buf(),
            line,
            column,
            field: field.to_string(),
            message: in_json_words(&message),
        }
    } else {
        SnapshotError::Syntax {
            path: path.to_path_buf(),
            line,
            column,
            message,
        }
    }
}

/// serde_json appends " at line L column C"; the path prefix already says it.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// serde speaks of Rust types (`expected f64`, `expected struct Site with 9 elements`, `sequence`,
/// `map`); a snapshot's author thinks in JSON (a number, an object, an array).
fn in_json_words(msg: &str) -> String {
    // `[]` where an object belongs: serde reads the array as the struct's fields in order.
    if let Some(rest) = msg.strip_prefix("invalid length ") {
        if let Some(i) = rest.find(", expected struct ") {
            let found = if rest.starts_with("0,") { "an empty array" } else { "an array" };
            let what = rest[i + ", expected struct ".len()..].split(' ').next().unwrap_or("");
            return format!("invalid type: {found}, expected an object ({what})");
        }
    }
    let mut out = msg.to_string();
    for (rust, json) in [
        ("invalid type: sequence", "invalid type: array"),
        ("invalid type: map", "invalid type: object"),
        ("expected f64", "expected a number"),
        ("expected f32", "expected a number"),
        ("expected u64", "expected a whole number, 0 or more"),
        ("expected u32", "expected a whole number, 0 or more"),
        ("expected a sequence", "expected an array"),
        ("expected a map", "expected an object"),
    ] {
        out = out.replace(rust, json);
    }
    if let Some(i) = out.find("expected struct ") {
        let what = out[i + "expected struct ".len()..].split(' ').next().unwrap_or("").to_string();
        out = format!("{}expected an object ({what})", &out[..i]);
    }
    out
}

/// A serde_ignored path as `sites[0].manager.fqdnn` (the form serde_path_to_error uses).
fn field_path(p: &serde_ignored::Path) -> String {
    use serde_ignored::Path as P;
    match p {
        P::Root => String::new(),
        P::Seq { parent, index } => format!("{}[{index}]", field_path(parent)),
        P::Map { parent, key } => match field_path(parent) {
            s if s.is_empty() => key.clone(),
            s => format!("{s}.{key}"),
        },
        P::Some { parent } | P::NewtypeStruct { parent } | P::NewtypeVariant { parent } => field_path(parent),
    }
}

/// Only `schema_version` of a document that must be a JSON object.
struct Probe(Option<serde_json::Value>);

impl<'de> Deserialize<'de> for Probe {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Probe;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object (an hcx-preflight snapshot: schema_version, collected_at, sites, ...)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Probe, A::Error> {
                let mut version = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key == "schema_version" {
                        version = Some(map.next_value()?);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(Probe(version))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"{"schema_version":1,"collected_at":"2026-11-29T09:00:00Z",
        "collector":{"name":"x","version":"1"},"sites":[{"name":"s","role":"connector","manager":{}}]}"#;

    fn err(text: &str) -> String {
        parse(text.as_bytes(), Path::new("t.json")).unwrap_err().to_string()
    }

    #[test]
    fn type_errors_name_the_field_path_and_position() {
        let text = MINIMAL.replace("\"manager\":{}", "\"manager\":{\"disk_common_used_percent\":\"93%\"}");
        assert_eq!(
            err(&text),
            "snapshot t.json:2:130: sites[0].manager.disk_common_used_percent: invalid type: string \"93%\", expected a number"
        );
    }

    #[test]
    fn an_array_where_an_object_belongs_is_refused_in_json_words() {
        assert_eq!(
            err("[]"),
            "snapshot t.json:1:1: invalid type: array, expected a JSON object (an hcx-preflight snapshot: schema_version, collected_at, sites, ...)"
        );
        for manager in ["[]", r#"["hcx.example", "4.3.2"]"#] {
            let text = MINIMAL.replace("\"manager\":{}", &format!("\"manager\":{manager}"));
            assert_eq!(
                err(&text),
                "snapshot t.json: sites[0].manager: invalid type: an array, expected an object (a snapshot names its fields)"
            );
        }
        let text = MINIMAL.replace(r#""collector":{"name":"x","version":"1"}"#, r#""collector":[]"#);
        assert_eq!(err(&text), "snapshot t.json: collector: invalid type: an array, expected an object (a snapshot names its fields)");
        // A struct with a field that has no default: serde's own message, in JSON words.
        let text = MINIMAL.replace(r#"{"name":"s","role":"connector","manager":{}}"#, "[]");
        let msg = err(&text);
        assert!(msg.ends_with("sites[0]: invalid type: an empty array, expected an object (Site)"), "{msg}");
        let text = MINIMAL.replace(r#""sites":[{"name":"s","role":"connector","manager":{}}]"#, r#""sites":{}"#);
        let msg = err(&text);
        assert!(msg.ends_with("sites: invalid type: object, expected an array"), "{msg}");
    }

    #[test]
    fn unknown_keys_are_warnings_with_their_path() {
        let text = MINIMAL
            .replace("\"manager\":{}", "\"manager\":{\"fqdnn\":\"x\"}")
            .replace("\"collector\"", "\"extra\":[1],\"collector\"");
        let (snapshot, warnings) = parse(text.as_bytes(), Path::new("u.json")).unwrap();
        assert_eq!(snapshot.sites[0].manager.fqdn, None);
        let paths: Vec<&str> = warnings.iter().map(|w| w.path.as_str()).collect();
        assert_eq!(paths, ["extra", "sites[0].manager.fqdnn"]);
        assert_eq!(
            warnings[1].to_string(),
            "snapshot u.json: unknown key `sites[0].manager.fqdnn` ignored (not in the snapshot format: a typo, or a newer collector?)"
        );
        let (_, none) = parse(MINIMAL.as_bytes(), Path::new("u.json")).unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn unknown_keys_inside_lists_name_the_index() {
        let text = MINIMAL.replace(
            "\"manager\":{}",
            r#""manager":{},"service_meshes":[{"id":"m"},{"id":"n","appliances":[{"id":"a","tunel_status":"up"}]}]"#,
        );
        let (_, warnings) = parse(text.as_bytes(), Path::new("u.json")).unwrap();
        let paths: Vec<&str> = warnings.iter().map(|w| w.path.as_str()).collect();
        assert_eq!(paths, ["sites[0].service_meshes[1].appliances[0].tunel_status"]);
    }

    #[test]
    fn unknown_keys_beside_an_attestation_stamp_are_warnings_too() {
        let text = MINIMAL.replace(
            "\"manager\":{}",
            r#""manager":{},"backup":{"supported":true,"evidense":"job 1","attested_at":null},
               "connections":[{"kind":"nsx","stauts":"healthy","provenance":null}]"#,
        );
        let (_, warnings) = parse(text.as_bytes(), Path::new("u.json")).unwrap();
        let paths: Vec<&str> = warnings.iter().map(|w| w.path.as_str()).collect();
        assert_eq!(paths, ["sites[0].backup.evidense", "sites[0].connections[0].stauts"]);
    }

    #[test]
    fn every_fixture_loads_without_warnings() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/snapshots");
        let mut n = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let (_, warnings) = parse(&std::fs::read(&path).unwrap(), &path).unwrap();
            assert!(warnings.is_empty(), "{}: {warnings:?}", path.display());
            n += 1;
        }
        assert!(n > 5);
    }

    #[test]
    fn a_missing_file_says_so_once_with_what_to_do() {
        let msg = read_input(Path::new("/nonexistent/snap.json")).unwrap_err().to_string();
        assert_eq!(msg.matches("No such file").count(), 0, "{msg}");
        assert!(msg.starts_with("snapshot /nonexistent/snap.json does not exist"), "{msg}");
        assert!(std::error::Error::source(&read_input(Path::new("/nonexistent/x")).unwrap_err()).is_none());
    }

    #[test]
    fn standard_input_is_bounded_and_named() {
        let (s, _) = parse(MINIMAL.as_bytes(), Path::new(STDIN)).unwrap();
        assert_eq!(s.sites.len(), 1);
        assert!(err("{").starts_with("snapshot t.json:1:1:"));
        let msg = parse(b"{", Path::new(STDIN)).unwrap_err().to_string();
        assert!(msg.starts_with("snapshot <stdin>:1:1: EOF"), "{msg}");
        let big = std::io::repeat(b' ').take(MAX_SNAPSHOT_BYTES + 10);
        let msg = read_bounded(big, Path::new(STDIN)).unwrap_err().to_string();
        assert!(msg.starts_with("snapshot <stdin> is "), "{msg}");
    }

    #[test]
    fn trailing_garbage_is_a_syntax_error() {
        let msg = err(&format!("{MINIMAL} x"));
        assert!(msg.contains("trailing characters"), "{msg}");
    }
}
