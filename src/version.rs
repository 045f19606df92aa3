//! HCX version strings.
//!
//! HCX prints 3-part versions on 4.x (`4.10.3`) and 4-part versions on 9.x
//! (`9.0.0.0`, following VCF 9). `semver` rejects the latter, so versions get
//! their own small type: 2 to 4 dot-separated non-negative integers, compared
//! numerically part by part with missing parts read as 0 (`4.9` == `4.9.0`).
//! The Rego helper `data.hcx.lib.version_cmp` implements the same order over
//! strings that this type has already validated.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// Why a string is not an HCX version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not an HCX version: {reason} (expected 2 to 4 dot-separated numbers such as 4.10.3 or 9.0.0.0)")]
pub struct VersionError {
    /// The rejected text (truncated when very long).
    pub input: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// The largest value one part may take; keeps every part exact in Rego's numbers.
pub const MAX_PART: u64 = 999_999_999;

/// A validated HCX version such as `4.10.3` or `9.0.0.0`.
#[derive(Debug, Clone, Eq)]
pub struct HcxVersion {
    parts: Vec<u64>,
    text: String,
}

impl HcxVersion {
    /// Parse and validate a version string.
    pub fn parse(s: &str) -> Result<Self, VersionError> {
        let err = |reason| VersionError {
            input: s.chars().take(64).collect(),
            reason,
        };
        if s.is_empty() {
            return Err(err("it is empty"));
        }
        let mut parts = Vec::with_capacity(4);
        for p in s.split('.') {
            if p.is_empty() {
                return Err(err("a part is empty"));
            }
            if !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err("a part is not a number"));
            }
            if p.len() > 9 {
                return Err(err("a part is too large"));
            }
            let n: u64 = p.parse().map_err(|_| err("a part is not a number"))?;
            parts.push(n);
        }
        if !(2..=4).contains(&parts.len()) {
            return Err(err("it does not have 2 to 4 parts"));
        }
        Ok(Self {
            parts,
            text: s.to_string(),
        })
    }

    /// The numeric parts as written.
    pub fn parts(&self) -> &[u64] {
        &self.parts
    }

    /// The version as HCX printed it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn padded(&self) -> [u64; 4] {
        let mut out = [0; 4];
        for (o, p) in out.iter_mut().zip(&self.parts) {
            *o = *p;
        }
        out
    }
}

impl FromStr for HcxVersion {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for HcxVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq for HcxVersion {
    fn eq(&self, other: &Self) -> bool {
        self.padded() == other.padded()
    }
}

impl Ord for HcxVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.padded().cmp(&other.padded())
    }
}

impl PartialOrd for HcxVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl serde::Serialize for HcxVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for HcxVersion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        HcxVersion::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for HcxVersion {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "HcxVersion".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[0-9]{1,9}(\\.[0-9]{1,9}){1,3}$",
            "description": "An HCX version as HCX prints it: 4.10.3 or 9.0.0.0; compared numerically part by part",
            "examples": ["4.10.3", "9.0.0.0"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> HcxVersion {
        HcxVersion::parse(s).unwrap()
    }

    #[test]
    fn compares_numerically_part_by_part() {
        assert!(v("4.10.0") > v("4.9.2"));
        assert!(v("9.1.1.0") > v("9.0.0.0"));
        assert!(v("9.0.0.0") > v("4.11.3"));
        assert_eq!(v("4.9"), v("4.9.0"));
        assert_eq!(v("4.4.0"), v("4.4.0.0"));
        assert!(v("4.3.2") < v("4.4.0"));
    }

    #[test]
    fn rejects_what_is_not_a_version() {
        for bad in ["", "4", "4.", ".4.0", "4..0", "4.a.0", "4.4.0-beta", "1.2.3.4.5", "+4.4.0", " 4.4.0", "4.4.9999999999"] {
            assert!(HcxVersion::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn keeps_the_text_as_printed() {
        assert_eq!(v("9.0.0.0").to_string(), "9.0.0.0");
        assert_eq!(serde_json::to_string(&v("4.10.3")).unwrap(), "\"4.10.3\"");
    }
}
