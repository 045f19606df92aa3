//! The rule catalog: the metadata of every rule id (`data.hcx.catalog`), read from
//! the data documents of the built-in set and the organisation directories.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{merge_into, DataFile, PolicyError};
use crate::findings::Severity;

/// Metadata of one rule id, from `data.hcx.catalog`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogEntry {
    pub title: String,
    pub severity: Severity,
    #[serde(default)]
    pub kb: Option<String>,
    #[serde(default)]
    pub when: Option<String>,
    pub remediation: String,
    /// Where the rule comes from: vendor pages (title and URL), shown by `policy explain`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
}

pub(crate) fn build_catalog(data: &[DataFile]) -> Result<BTreeMap<String, CatalogEntry>, PolicyError> {
    let mut catalog = BTreeMap::new();
    for d in data {
        let mut node = serde_json::json!({});
        merge_into(&mut node, &d.data_path, d.value.clone());
        let Some(entries) = node.pointer("/hcx/catalog").and_then(|c| c.as_object()) else {
            continue;
        };
        for (id, entry) in entries {
            let parsed: CatalogEntry = serde_json::from_value(entry.clone()).map_err(|e| PolicyError::Data {
                file: d.origin.clone(),
                message: format!("catalog entry `{id}` needs title, severity (deny|warn|info), remediation, optional kb and references: {e}"),
            })?;
            if catalog.insert(id.clone(), parsed).is_some() {
                return Err(PolicyError::Data {
                    file: d.origin.clone(),
                    message: format!("catalog entry `{id}` is defined twice; rule ids must be unique"),
                });
            }
        }
    }
    Ok(catalog)
}
