//! Work in flight: migrations (`POST /hybridity/api/migrations?action=query`, `items[]` or
//! `rows[]`, active unless `jobInfo.state` is a final state) and replications (`POST
//! /hybridity/api/replications?action=query` with `{"type":"summary"}`, the
//! `activeReplicationCnt` counters) and networks extended over Network Extension (`GET
//! /hybridity/api/l2Extensions`, its `items`). A count that cannot be read is `null`, never 0.

use reqwest::Method;
use serde_json::{json, Value};

use super::envelope::{self, count_field, str_field, ShapeError};
use super::http::{label, Api, FetchError};
use super::inferred::{migrations_query_body, MIGRATION_DONE_STATES, REPLICATION_COUNTER, REPLICATION_DIRECTIONS};
use super::notes::Notes;
use super::paths::{ACTION_QUERY, L2_EXTENSIONS, MIGRATIONS, REPLICATIONS};
use crate::snapshot::Operations;

/// Count migrations that are not in a final state. A migration without a state counts
/// as active: it cannot be shown to be finished.
pub fn count_active_migrations(v: &Value) -> Result<u64, ShapeError> {
    let items = envelope::top_items(v)?;
    Ok(items
        .iter()
        .filter(|m| {
            let state = m.get("jobInfo").and_then(|j| str_field(j, "state"));
            !state.is_some_and(|s| MIGRATION_DONE_STATES.iter().any(|d| d.eq_ignore_ascii_case(s)))
        })
        .count() as u64)
}

/// Sum the active replication counters (top level or under `data`).
pub fn count_active_replications(v: &Value) -> Result<u64, ShapeError> {
    envelope::flat(v)?;
    let counters = v
        .get(REPLICATION_COUNTER)
        .or_else(|| v.get("data").and_then(|d| d.get(REPLICATION_COUNTER)))
        .ok_or_else(|| ShapeError(format!("no `{REPLICATION_COUNTER}` object")))?;
    let mut total = 0u64;
    for dir in REPLICATION_DIRECTIONS {
        let n = count_field(counters, dir)
            .ok_or_else(|| ShapeError(format!("`{REPLICATION_COUNTER}.{dir}` is not a count")))?;
        total = total.saturating_add(n);
    }
    Ok(total)
}

/// Count the extended networks: every listed extension (one being created or removed still
/// carries traffic or is about to).
pub fn count_extended_networks(v: &Value) -> Result<u64, ShapeError> {
    Ok(envelope::top_items(v)?.len() as u64)
}

/// Read the three counts concurrently.
pub async fn operations(api: &Api, notes: &mut Notes) -> Operations {
    let migrations = async {
        let v = api
            .post(MIGRATIONS, Some(ACTION_QUERY), &migrations_query_body())
            .await?;
        Ok::<_, FetchError>(count_active_migrations(&v)?)
    };
    let replications = async {
        let v = api
            .post(REPLICATIONS, Some(ACTION_QUERY), &json!({"type": "summary"}))
            .await?;
        Ok::<_, FetchError>(count_active_replications(&v)?)
    };
    let extensions = async {
        let v = api.get(L2_EXTENSIONS).await?;
        Ok::<_, FetchError>(count_extended_networks(&v)?)
    };
    let (m, r, x) = tokio::join!(migrations, replications, extensions);
    let active_migrations = m
        .map_err(|e| notes.fetch("operations.active_migrations", &label(&Method::POST, MIGRATIONS), &e))
        .ok();
    let active_replications = r
        .map_err(|e| {
            notes.fetch(
                "operations.active_replications",
                &label(&Method::POST, REPLICATIONS),
                &e,
            )
        })
        .ok();
    let extended_networks = x
        .map_err(|e| notes.fetch("operations.extended_networks", &label(&Method::GET, L2_EXTENSIONS), &e))
        .ok();
    Operations {
        active_migrations,
        active_replications,
        extended_networks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_in_items_or_rows() {
        let v =
            json!({"items": [{"jobInfo": {"state": "MIGRATED"}}, {"jobInfo": {"state": "TRANSFER_IN_PROGRESS"}}, {}]});
        assert_eq!(count_active_migrations(&v).unwrap(), 2);
        let v = json!({"rows": [{"jobInfo": {"state": "migrate_canceled"}}]});
        assert_eq!(count_active_migrations(&v).unwrap(), 0);
        assert!(count_active_migrations(&json!({"data": 1})).is_err());
    }

    #[test]
    fn extended_networks_are_the_listed_extensions() {
        let v = json!({"items": [{"stretchId": "s-1", "operationStatus": {"state": "EXTENDED"}}, {"stretchId": "s-2"}]});
        assert_eq!(count_extended_networks(&v).unwrap(), 2);
        assert_eq!(count_extended_networks(&json!({"items": []})).unwrap(), 0);
        assert!(count_extended_networks(&json!({"data": 1})).is_err());
    }

    #[test]
    fn replication_counters() {
        let v = json!({"activeReplicationCnt": {"outgoing": 2, "incoming": "1"}});
        assert_eq!(count_active_replications(&v).unwrap(), 3);
        let v = json!({"data": {"activeReplicationCnt": {"outgoing": 0, "incoming": 0}}});
        assert_eq!(count_active_replications(&v).unwrap(), 0);
        assert!(count_active_replications(&json!({"activeReplicationCnt": {"outgoing": 1}})).is_err());
    }
}
