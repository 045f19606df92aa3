//! Attestations: facts that no API reports (backup, `/common` usage, provider management,
//! connection and site-pair health), stated by an operator with `--attest` or in an
//! `--attestations` file (JSON or TOML). Each one sets the fact, marks it `attested` where
//! the snapshot has a provenance for it, and is listed in the snapshot's `attestations`
//! with who stated it and on what evidence. Evidence is required: an attestation without
//! it would be a silent assumption.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::error::CollectError;
use super::facts;
use super::unknown::FormEntry;
use crate::snapshot::{
    Appliance, AttestationRecord, AttestationStamp, Backup, Connection, ConnectionKind, FieldAttestation, HaGroup,
    Manager, Operations, Provenance, Provider, Role, ServiceMesh, Site, SitePair, Snapshot, Status, TunnelStatus,
};

/// One stated fact, as given.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attestation {
    pub site: String,
    pub fact: String,
    pub value: serde_json::Value,
    #[serde(default)]
    pub by: Option<String>,
    #[serde(default)]
    pub evidence: Option<String>,
    /// When the operator observed the fact (default: when it is applied).
    #[serde(default, alias = "attested_at")]
    pub at: Option<DateTime<Utc>>,
    /// The manager version the statement was made on, when it was made earlier (an
    /// `upgrade` re-applies its attestations after the upgrade with the version before
    /// it, so that the policies see they no longer hold). Not settable from a file.
    #[serde(skip)]
    pub on_version: Option<String>,
}

/// An attestation file: its own list, or the form that `--unknown-out` wrote, filled in.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AttestationFile {
    #[serde(default, alias = "attestation")]
    attestations: Option<Vec<Attestation>>,
    #[serde(default, alias = "unknown_fact")]
    unknown_facts: Option<Vec<FormEntry>>,
}

fn bad(origin: &str, message: impl Into<String>) -> CollectError {
    CollectError::Attestation {
        origin: origin.to_string(),
        message: message.into(),
    }
}

/// Parse `SITE.FACT=VALUE[;by=WHO][;evidence=TEXT][;at=RFC3339]`. A site name may
/// contain dots: [`apply`] matches the longest site name.
pub fn parse_cli(text: &str) -> Result<Attestation, CollectError> {
    let origin = format!("--attest `{text}`");
    let mut parts = text.split(';');
    let head = parts.next().unwrap_or_default();
    let (path, value) = head
        .split_once('=')
        .ok_or_else(|| bad(&origin, "expected SITE.FACT=VALUE[;by=WHO][;evidence=TEXT]"))?;
    let (site, fact) = path
        .trim()
        .split_once('.')
        .ok_or_else(|| bad(&origin, "the fact must start with the site name: SITE.FACT"))?;
    let mut att = Attestation {
        site: site.to_string(),
        fact: fact.to_string(),
        value: serde_json::Value::String(value.trim().to_string()),
        by: None,
        evidence: None,
        at: None,
        on_version: None,
    };
    for part in parts {
        match part.split_once('=') {
            Some(("by", v)) => att.by = Some(v.trim().to_string()),
            Some(("evidence", v)) => att.evidence = Some(v.trim().to_string()),
            Some(("at", v)) => {
                let at = DateTime::parse_from_rfc3339(v.trim())
                    .map_err(|e| bad(&origin, format!("at=`{}` is not an RFC 3339 time: {e}", v.trim())))?;
                att.at = Some(at.with_timezone(&Utc));
            }
            _ => {
                return Err(bad(
                    &origin,
                    format!("unknown part `{part}`: expected by=WHO, evidence=TEXT or at=RFC3339"),
                ))
            }
        }
    }
    Ok(att)
}

/// Read an attestation file: JSON (`{"attestations": [...]}`) or TOML (`[[attestation]]`).
pub fn load_file(path: &Path) -> Result<Vec<Attestation>, CollectError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| bad(&origin, format!("cannot read it: {e}")))?;
    let is_json =
        path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) || text.trim_start().starts_with('{');
    parse_text(&text, is_json, &origin)
}

/// Parse the text of an attestation file; `origin` names it in errors. A filled-in
/// `--unknown-out` form is read too; an entry left unfilled is an error that names it
/// (fail closed: a fact nobody verified must not pass silently; delete the entry instead).
pub fn parse_text(text: &str, is_json: bool, origin: &str) -> Result<Vec<Attestation>, CollectError> {
    let file: AttestationFile = if is_json {
        serde_json::from_str(text).map_err(|e| bad(origin, e.to_string()))?
    } else {
        toml::from_str(text).map_err(|e| bad(origin, e.to_string()))?
    };
    if file.attestations.is_none() && file.unknown_facts.is_none() {
        return Err(bad(
            origin,
            "expected a list `attestations` (or the `unknown_facts` form that --unknown-out writes)",
        ));
    }
    let mut list = file.attestations.unwrap_or_default();
    for (i, entry) in file.unknown_facts.unwrap_or_default().into_iter().enumerate() {
        if !entry.is_filled() {
            return Err(bad(
                origin,
                format!(
                    "unknown_facts entry {} ({}.{}) is not filled in: give its value ({}) and evidence, or delete the entry",
                    i + 1,
                    entry.site,
                    entry.fact,
                    if entry.accepted.is_empty() { "see --attest" } else { entry.accepted.as_str() },
                ),
            ));
        }
        list.push(Attestation {
            site: entry.site,
            fact: entry.fact,
            value: entry.value,
            by: entry.by,
            evidence: Some(entry.evidence),
            at: entry.at,
            on_version: None,
        });
    }
    Ok(list)
}

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn parse_bool(text: &str) -> Result<bool, String> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "yes" => Ok(true),
        "false" | "no" => Ok(false),
        _ => Err(format!("`{text}` is not true or false")),
    }
}

fn parse_status(text: &str) -> Result<Status, String> {
    match serde_json::from_value(serde_json::Value::String(text.to_ascii_lowercase())) {
        Ok(Status::NotInUse) | Err(_) => Err(format!("`{text}` is not healthy, degraded, unhealthy or unknown")),
        Ok(s) => Ok(s),
    }
}

/// A connection's status: also `not_in_use`, for the kinds that apply only "if used".
fn parse_connection_status(kind: ConnectionKind, role: Role, text: &str) -> Result<Status, String> {
    let optional = matches!(kind, ConnectionKind::Nsx | ConnectionKind::CloudDirector | ConnectionKind::Rmq);
    if matches!(kind, ConnectionKind::CloudDirector | ConnectionKind::Rmq) && role == Role::Connector {
        return Err("Cloud Director and RabbitMQ do not apply to a connector site (only to the cloud side)".into());
    }
    if text.eq_ignore_ascii_case("not_in_use") {
        return if optional {
            Ok(Status::NotInUse)
        } else {
            Err("vCenter Server and its lookup service are required on every site: they cannot be not_in_use".into())
        };
    }
    parse_status(text).map_err(|e| if optional { e.replace(" or unknown", ", unknown or not_in_use") } else { e })
}

fn parse_kind(text: &str) -> Result<ConnectionKind, String> {
    serde_json::from_value(serde_json::Value::String(text.to_string()))
        .map_err(|_| format!("`{text}` is not vcenter, nsx, cloud_director, rmq or lookup_service"))
}

const FACTS: &str = "backup.last_success_at, backup.supported, manager.disk_common_used_percent, \
manager.provider_managed, manager.provider, connections.KIND.status, site_pairs.PEER.status \
(PEER: the pair's remote name, or its endpoint id where the manager gives no name), \
operations.extended_networks, service_meshes.MESH.status, service_meshes.MESH.appliances.APPLIANCE.status, \
service_meshes.MESH.appliances.APPLIANCE.tunnel_status, service_meshes.MESH.appliances.APPLIANCE.ha_group \
(MESH, APPLIANCE: the name, else the id)";

fn parse_tunnel(text: &str) -> Result<TunnelStatus, String> {
    match text.to_ascii_lowercase().as_str() {
        "up" => Ok(TunnelStatus::Up),
        "down" => Ok(TunnelStatus::Down),
        _ => Err(format!("`{text}` is not up or down")),
    }
}

/// Which of `names` (each item's name and id) `rest` starts with, followed by a dot: the
/// item's index and the rest after the dot. Names may contain dots: the longest wins.
fn named_prefix<'f, 'n>(names: impl Iterator<Item = [Option<&'n str>; 2]>, rest: &'f str) -> Option<(usize, &'f str)> {
    names
        .enumerate()
        .flat_map(|(i, keys)| keys.into_iter().flatten().map(move |k| (i, k)))
        .filter(|(_, k)| rest.strip_prefix(k).is_some_and(|r| r.starts_with('.')))
        .max_by_key(|(_, k)| k.len())
        .map(|(i, k)| (i, &rest[k.len() + 1..]))
}

/// The mesh that `rest` (`MESH.…`, by name or id) names, and what follows.
fn split_mesh<'a, 'f>(site: &'a mut Site, rest: &'f str) -> Option<(&'a mut ServiceMesh, &'f str)> {
    let meshes = site.service_meshes.as_mut()?;
    let (i, after) = named_prefix(meshes.iter().map(|m| [m.name.as_deref(), m.id.as_deref()]), rest)?;
    Some((&mut meshes[i], after))
}

/// The appliance of `mesh` that `rest` (`APPLIANCE.FIELD`, by name or id) names, and the field.
fn split_appliance<'a, 'f>(mesh: &'a mut ServiceMesh, rest: &'f str) -> Option<(&'a mut Appliance, &'f str)> {
    let list = mesh.appliances.as_mut()?;
    let (i, after) = named_prefix(list.iter().map(|a| [a.name.as_deref(), a.id.as_deref()]), rest)?;
    Some((&mut list[i], after))
}

/// Set an attested fact of a mesh or of one of its appliances
/// (`MESH.status`, `MESH.appliances.APPLIANCE.{status,tunnel_status,ha_group}`).
fn set_mesh_fact(site: &mut Site, rest: &str, text: &str, evidence: &str, stamp: &AttestationStamp) -> Result<(), String> {
    let record = || FieldAttestation {
        provenance: Provenance::Attested,
        evidence: evidence.to_string(),
        stamp: stamp.clone(),
    };
    let (mesh, rest) = split_mesh(site, rest).ok_or_else(|| format!("the site has no collected Service Mesh named in `{rest}`"))?;
    if rest == "status" {
        mesh.status = Some(parse_status(text)?);
        mesh.message = None;
        mesh.attested.insert("status".into(), record());
        return Ok(());
    }
    let mesh_name = facts::mesh_key(mesh);
    let rest = rest
        .strip_prefix("appliances.")
        .ok_or_else(|| format!("expected status or appliances.APPLIANCE.FIELD after Service Mesh `{mesh_name}`"))?;
    let (appliance, field) = split_appliance(mesh, rest)
        .ok_or_else(|| format!("the site has no collected appliance named in `{rest}` in Service Mesh `{mesh_name}`"))?;
    match field {
        "status" => {
            appliance.status = Some(parse_status(text)?);
            appliance.message = None;
        }
        "tunnel_status" => appliance.tunnel_status = Some(parse_tunnel(text)?),
        "ha_group" => {
            appliance.ha_group = Some(match text.to_ascii_lowercase().as_str() {
                "none" | "false" | "no" => HaGroup::Flag(false),
                "" | "true" | "yes" => return Err("name the HA group, or say none".into()),
                _ => HaGroup::Named(text.to_string()),
            });
            return Ok(());
        }
        other => return Err(format!("unknown appliance fact `{other}`: status, tunnel_status or ha_group")),
    }
    appliance.attested.insert(field.to_string(), record());
    Ok(())
}

/// Set one attested fact on its site; `stamp` says when, by whom and on which version.
fn set(site: &mut Site, fact: &str, text: &str, evidence: &str, stamp: &AttestationStamp) -> Result<(), String> {
    // A remote site name may contain dots: `site_pairs.` NAME `.status`.
    if let Some(remote) = fact.strip_prefix("site_pairs.").and_then(|r| r.strip_suffix(".status")) {
        return set_site_pair_status(site, remote, text, evidence, stamp);
    }
    if let Some(rest) = fact.strip_prefix("service_meshes.") {
        return set_mesh_fact(site, rest, text, evidence, stamp);
    }
    let segments: Vec<&str> = fact.split('.').collect();
    match segments.as_slice() {
        ["backup", field] => set_backup_fact(site.backup.get_or_insert_with(Backup::default), field, text, evidence, stamp)?,
        ["manager", "disk_common_used_percent"] => site.manager.disk_common_used_percent = Some(parse_percent(text)?),
        ["manager", "provider_managed"] => set_provider_managed(&mut site.manager, parse_bool(text)?)?,
        ["manager", "provider"] => set_provider(&mut site.manager, text)?,
        ["connections", kind, "status"] => set_connection_status(site, parse_kind(kind)?, text, evidence, stamp)?,
        ["operations", "extended_networks"] => {
            let n: u64 = text
                .parse()
                .map_err(|_| format!("`{text}` is not a count of extended networks"))?;
            site.operations.get_or_insert_with(Operations::default).extended_networks = Some(n);
        }
        _ => return Err(format!("unknown fact `{fact}`; attestable facts: {FACTS}")),
    }
    Ok(())
}

/// The status of the site pair with the peer `remote`. The peer as the collector names it
/// in `errors`: its `cloudName`, else its `endpointId` (the vendor's reference shows no name).
fn set_site_pair_status(site: &mut Site, remote: &str, text: &str, evidence: &str, stamp: &AttestationStamp) -> Result<(), String> {
    let status = parse_status(text)?;
    let named = |p: &SitePair| {
        p.remote_name.as_deref() == Some(remote) || (p.remote_name.is_none() && p.endpoint_id.as_deref() == Some(remote))
    };
    let pair: &mut SitePair = site
        .site_pairs
        .as_mut()
        .and_then(|p| p.iter_mut().find(|p| named(p)))
        .ok_or_else(|| format!("the site has no collected site pair named `{remote}`"))?;
    pair.status = Some(status);
    pair.message = None;
    pair.provenance = Some(Provenance::Attested);
    pair.evidence = Some(evidence.to_string());
    pair.stamp = stamp.clone();
    Ok(())
}

/// `backup.last_success_at` or `backup.supported`.
fn set_backup_fact(b: &mut Backup, field: &str, text: &str, evidence: &str, stamp: &AttestationStamp) -> Result<(), String> {
    match field {
        "last_success_at" => {
            let at: DateTime<Utc> = DateTime::parse_from_rfc3339(text)
                .map_err(|e| format!("`{text}` is not an RFC 3339 time: {e}"))?
                .with_timezone(&Utc);
            b.last_success_at = Some(at);
            // A successful backup shows that backup is supported.
            b.supported.get_or_insert(true);
        }
        "supported" => b.supported = Some(parse_bool(text)?),
        other => return Err(format!("unknown backup fact `{other}`")),
    }
    b.provenance = Some(Provenance::Attested);
    b.evidence = Some(evidence.to_string());
    b.stamp = stamp.clone();
    Ok(())
}

fn parse_percent(text: &str) -> Result<f64, String> {
    let p: f64 = text.parse().map_err(|_| format!("`{text}` is not a number"))?;
    if !(0.0..=100.0).contains(&p) {
        return Err(format!("{p} is not between 0 and 100"));
    }
    Ok(p)
}

/// `manager.provider_managed`: not false when a provider is attested.
fn set_provider_managed(manager: &mut Manager, managed: bool) -> Result<(), String> {
    if !managed && manager.provider.is_some() {
        return Err("a provider is attested for this site".into());
    }
    manager.provider_managed = Some(managed);
    Ok(())
}

/// `manager.provider`: the manager is then provider-managed (not when attested false).
fn set_provider(manager: &mut Manager, text: &str) -> Result<(), String> {
    let p: Provider = serde_json::from_value(serde_json::Value::String(text.to_string()))
        .map_err(|_| format!("`{text}` is not vmc-aws, avs, gcve, ocvs, ibm or other"))?;
    if manager.provider_managed == Some(false) {
        return Err("provider_managed is attested false for this site".into());
    }
    manager.provider = Some(p);
    manager.provider_managed = Some(true);
    Ok(())
}

/// `connections.KIND.status`: every connection of that kind, one added when none was collected.
fn set_connection_status(site: &mut Site, kind: ConnectionKind, text: &str, evidence: &str, stamp: &AttestationStamp) -> Result<(), String> {
    let status = parse_connection_status(kind, site.role, text)?;
    let list = site.connections.get_or_insert_with(Vec::new);
    if !list.iter().any(|c| c.kind == kind) {
        list.push(Connection {
            kind,
            url: None,
            version: None,
            status: None,
            message: None,
            provenance: None,
            evidence: None,
            stamp: AttestationStamp::default(),
        });
    }
    for c in list.iter_mut().filter(|c| c.kind == kind) {
        c.status = Some(status);
        c.message = None;
        c.provenance = Some(Provenance::Attested);
        c.evidence = Some(evidence.to_string());
        c.stamp = stamp.clone();
    }
    Ok(())
}

/// The site an attestation names, and its fact: `att.site` exactly, else the longest
/// site name that `SITE.FACT` starts with (site names may contain dots).
fn locate(snapshot: &Snapshot, att: &Attestation) -> Option<(usize, String)> {
    if let Some(i) = snapshot.sites.iter().position(|s| s.name == att.site) {
        return Some((i, att.fact.clone()));
    }
    let path = format!("{}.{}", att.site, att.fact);
    snapshot
        .sites
        .iter()
        .enumerate()
        .filter_map(|(i, s)| path.strip_prefix(&format!("{}.", s.name)).map(|fact| (i, s.name.len(), fact.to_string())))
        .max_by_key(|(_, len, _)| *len)
        .map(|(i, _, fact)| (i, fact))
}

/// Apply attestations to a snapshot (collected, or loaded by `check --snapshot`), each
/// stamped with its time (`at`, else `now`), who stated it and the manager version it
/// was stated on. The `errors` entries of an attested fact are dropped, since the fact is
/// no longer unknown.
pub fn apply(snapshot: &mut Snapshot, attestations: &[Attestation], now: DateTime<Utc>) -> Result<(), CollectError> {
    for att in attestations {
        let origin = format!("{}.{}", att.site, att.fact);
        let evidence = att
            .evidence
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .ok_or_else(|| bad(&origin, "evidence is required (evidence=TEXT): what shows this fact"))?;
        let by = att
            .by
            .clone()
            .filter(|b| !b.trim().is_empty())
            .unwrap_or_else(whoami::username);
        let text = value_text(&att.value);
        let (index, fact) = locate(snapshot, att).ok_or_else(|| {
            let names: Vec<&str> = snapshot.sites.iter().map(|s| s.name.as_str()).collect();
            bad(&origin, format!("no site named `{}` (sites: {})", att.site, names.join(", ")))
        })?;
        let site = &mut snapshot.sites[index];
        let site_name = site.name.clone();
        // Whole seconds, like every time of the snapshot (and of the evaluation).
        let at = att.at.unwrap_or_else(|| DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now));
        let stamp = AttestationStamp {
            attested_at: Some(at),
            attested_by: Some(by.clone()),
            attested_on_version: att.on_version.clone().or_else(|| site.manager.version.as_ref().map(|v| v.to_string())),
        };
        let stated = format!("{evidence} (attested by {by})");
        set(site, &fact, &text, &stated, &stamp).map_err(|m| bad(&origin, m))?;
        let covered = |f: &str| f == fact || f.starts_with(&format!("{fact}.")) || covers(&fact, f);
        snapshot
            .errors
            .retain(|e| !(e.site.as_deref() == Some(site_name.as_str()) && covered(&e.fact)));
        snapshot.attestations.push(AttestationRecord {
            site: site_name,
            fact,
            value: text,
            by,
            evidence: evidence.to_string(),
            attested_at: Some(at),
        });
    }
    Ok(())
}

/// Whether an attested fact settles a collected error entry beyond the same fact path
/// (the collector writes `errors` in the same dotted form `--attest` takes): `backup.*`
/// settles `backup`, `manager.provider` settles `manager.provider_managed`. Not
/// `connections` itself: a list that could not be read stays flagged, so that a kind
/// nobody attested does not look unused.
fn covers(attested: &str, error_fact: &str) -> bool {
    match attested.split('.').collect::<Vec<_>>().as_slice() {
        ["backup", _] => error_fact == "backup",
        ["manager", "provider"] => error_fact == "manager.provider_managed",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Collector, FactError, Manager, Role};

    fn snapshot() -> Snapshot {
        Snapshot {
            schema_version: 1,
            collected_at: Utc::now(),
            collector: Collector {
                name: "t".into(),
                version: "0".into(),
                insecure_tls: None,
            },
            sites: vec![Site {
                name: "source".into(),
                role: Role::Connector,
                manager: Manager::default(),
                backup: None,
                connections: None,
                site_pairs: None,
                service_meshes: None,
                updates: None,
                operations: None,
            }],
            errors: vec![FactError {
                site: Some("source".into()),
                fact: "backup".into(),
                message: "no API".into(),
            }],
            attestations: vec![],
        }
    }

    #[test]
    fn cli_form() {
        let a = parse_cli("source.backup.last_success_at=2026-11-29T02:00:00Z;by=a.admin;evidence=job 4711").unwrap();
        assert_eq!((a.site.as_str(), a.fact.as_str()), ("source", "backup.last_success_at"));
        assert_eq!(a.by.as_deref(), Some("a.admin"));
        assert!(parse_cli("nodot=1").is_err());
        assert!(parse_cli("s.f=1;colour=red").is_err());
    }

    #[test]
    fn backup_attestation_is_recorded_and_settles_the_error() {
        let mut s = snapshot();
        let a = parse_cli("source.backup.last_success_at=2026-11-29T02:00:00Z;by=ops;evidence=job 4711").unwrap();
        apply(&mut s, &[a], Utc::now()).unwrap();
        let b = s.sites[0].backup.as_ref().unwrap();
        assert_eq!(b.provenance, Some(Provenance::Attested));
        assert_eq!(b.supported, Some(true));
        assert!(b.evidence.as_deref().unwrap().contains("job 4711"));
        assert!(s.errors.is_empty());
        assert_eq!(s.attestations[0].by, "ops");
    }

    #[test]
    fn evidence_is_required_and_values_checked() {
        let mut s = snapshot();
        let a = parse_cli("source.manager.disk_common_used_percent=41.5").unwrap();
        assert!(apply(&mut s, &[a], Utc::now()).unwrap_err().to_string().contains("evidence"));
        for bad in [
            "source.manager.disk_common_used_percent=140;evidence=df",
            "source.connections.vcenter.status=fine;evidence=x",
            "source.manager.colour=blue;evidence=x",
            "nosuch.backup.supported=true;evidence=x",
        ] {
            assert!(apply(&mut s, &[parse_cli(bad).unwrap()], Utc::now()).is_err(), "{bad}");
        }
        let ok = parse_cli("source.connections.nsx.status=healthy;evidence=NSX UI green").unwrap();
        apply(&mut s, &[ok], Utc::now()).unwrap();
        let c = &s.sites[0].connections.as_ref().unwrap()[0];
        assert_eq!(
            (c.kind, c.status, c.provenance),
            (ConnectionKind::Nsx, Some(Status::Healthy), Some(Provenance::Attested))
        );
        apply(
            &mut s,
            &[parse_cli("source.manager.provider=avs;evidence=AVS private cloud").unwrap()],
            Utc::now(),
        )
        .unwrap();
        assert_eq!(s.sites[0].manager.provider_managed, Some(true));
    }

    fn paired(name: &str, role: Role) -> Snapshot {
        let mut s = snapshot();
        s.sites[0].name = name.into();
        s.sites[0].role = role;
        s.sites[0].manager.version = Some("4.10.2".parse().unwrap());
        s.sites[0].site_pairs = Some(vec![unknown_pair(Some("hcx-cloud.east.example"), None)]);
        s
    }

    #[test]
    fn real_site_names_with_dots_and_a_stamp_on_every_attested_fact() {
        let mut s = paired("mgr.east.example", Role::Cloud);
        let at = "2026-11-29T08:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let atts = [
            "mgr.east.example.site_pairs.hcx-cloud.east.example.status=healthy;by=ops;evidence=UI;at=2026-11-29T08:00:00Z",
            "mgr.east.example.connections.cloud_director.status=not_in_use;by=ops;evidence=no VCD in this cloud",
        ];
        let list: Vec<_> = atts.iter().map(|a| parse_cli(a).unwrap()).collect();
        let now = "2026-11-29T09:00:00Z".parse::<DateTime<Utc>>().unwrap();
        apply(&mut s, &list, now).unwrap();
        let pair = &s.sites[0].site_pairs.as_ref().unwrap()[0];
        assert_eq!(pair.status, Some(Status::Healthy));
        assert_eq!(pair.stamp.attested_at, Some(at));
        assert_eq!(pair.stamp.attested_by.as_deref(), Some("ops"));
        assert_eq!(pair.stamp.attested_on_version.as_deref(), Some("4.10.2"));
        let c = &s.sites[0].connections.as_ref().unwrap()[0];
        assert_eq!((c.kind, c.status), (ConnectionKind::CloudDirector, Some(Status::NotInUse)));
        assert_eq!(c.stamp.attested_at, Some(now));
        assert_eq!(s.attestations[0].site, "mgr.east.example");
        assert_eq!(s.attestations[0].fact, "site_pairs.hcx-cloud.east.example.status");
        assert_eq!(s.attestations[1].attested_at, Some(now));
    }

    #[test]
    fn not_in_use_only_where_a_connection_applies_if_used() {
        let now = Utc::now();
        let mut cloud = paired("c", Role::Cloud);
        for bad in ["c.connections.vcenter.status=not_in_use;evidence=x", "c.connections.lookup_service.status=not_in_use;evidence=x", "c.site_pairs.hcx-cloud.east.example.status=not_in_use;evidence=x"] {
            assert!(apply(&mut cloud, &[parse_cli(bad).unwrap()], now).is_err(), "{bad}");
        }
        apply(&mut cloud, &[parse_cli("c.connections.nsx.status=not_in_use;evidence=x").unwrap()], now).unwrap();
        let mut connector = paired("s", Role::Connector);
        let err = apply(&mut connector, &[parse_cli("s.connections.rmq.status=healthy;evidence=x").unwrap()], now).unwrap_err();
        assert!(err.to_string().contains("do not apply to a connector site"), "{err}");
    }

    /// A site pair of unknown status, named and/or with an endpoint id.
    fn unknown_pair(name: Option<&str>, id: Option<&str>) -> SitePair {
        SitePair {
            endpoint_id: id.map(String::from),
            remote_name: name.map(String::from),
            remote_url: None,
            remote_version: None,
            remote_build: None,
            status: Some(Status::Unknown),
            message: None,
            provenance: None,
            evidence: None,
            stamp: AttestationStamp::default(),
        }
    }

    #[test]
    fn site_pairs_by_name_dotted_or_by_endpoint_id() {
        let mut s = snapshot();
        s.sites[0].site_pairs = Some(vec![unknown_pair(Some("hcx.east.example"), Some("e-1")), unknown_pair(None, Some("e-2")), unknown_pair(Some("west"), Some("e-3"))]);
        s.errors.push(FactError {
            site: Some("source".into()),
            fact: "site_pairs.e-2.status".into(),
            message: "unknown".into(),
        });
        for a in [
            "source.site_pairs.hcx.east.example.status=healthy;evidence=UI",
            "source.site_pairs.e-2.status=degraded;evidence=UI",
        ] {
            apply(&mut s, &[parse_cli(a).unwrap()], Utc::now()).unwrap();
        }
        let statuses: Vec<_> = s.sites[0].site_pairs.as_ref().unwrap().iter().map(|p| p.status).collect();
        assert_eq!(statuses, [Some(Status::Healthy), Some(Status::Degraded), Some(Status::Unknown)]);
        assert!(s.errors.iter().all(|e| e.fact != "site_pairs.e-2.status"), "settled");
        // A named pair is attested by its name, not its endpoint id.
        assert!(apply(&mut s, &[parse_cli("source.site_pairs.e-3.status=healthy;evidence=UI").unwrap()], Utc::now()).is_err());
    }

    #[test]
    fn mesh_facts_are_attestable() {
        use crate::snapshot::{Appliance, ServiceMesh};
        let mut s = snapshot();
        let ne = |name: &str| Appliance {
            id: None,
            name: Some(name.into()),
            kind: Some("HCX-NET-EXT".into()),
            version: None,
            status: None,
            message: None,
            tunnel_status: None,
            update_available: None,
            ha_group: None,
            attested: Default::default(),
        };
        s.sites[0].service_meshes = Some(vec![ServiceMesh {
            id: Some("sm-1".into()),
            name: Some("mesh".into()),
            state: None,
            status: None,
            message: None,
            backing: None,
            update_available: None,
            services: None,
            appliances: Some(vec![ne("NE-1"), ne("NE-2")]),
            attested: Default::default(),
        }]);
        s.errors.push(FactError {
            site: Some("source".into()),
            fact: "service_meshes.mesh.appliances.NE-1.ha_group".into(),
            message: "no API".into(),
        });
        let atts: Vec<Attestation> = [
            "source.service_meshes.mesh.appliances.NE-1.ha_group=ha-1;evidence=NE HA UI",
            "source.service_meshes.sm-1.appliances.NE-2.ha_group=none;evidence=NE HA UI",
            "source.operations.extended_networks=3;evidence=Network Extension tab",
        ]
        .iter()
        .map(|t| parse_cli(t).unwrap())
        .collect();
        apply(&mut s, &atts, Utc::now()).unwrap();
        let list = s.sites[0].service_meshes.as_ref().unwrap()[0].appliances.as_ref().unwrap();
        assert_eq!(list[0].ha_group, Some(HaGroup::Named("ha-1".into())));
        assert_eq!(list[1].ha_group, Some(HaGroup::Flag(false)));
        assert_eq!(s.sites[0].operations.as_ref().unwrap().extended_networks, Some(3));
        assert!(!s.errors.iter().any(|e| e.fact.ends_with("ha_group")), "{:?}", s.errors);
        // Mesh, appliance and tunnel state: by name or id, names with dots, with a stamp.
        let (ix, tunnel) = ("source.service_meshes.mesh.appliances.NE-2.status=healthy;by=ops;evidence=UI", "source.service_meshes.sm-1.appliances.NE-1.tunnel_status=up;by=ops;evidence=UI");
        let atts: Vec<Attestation> = [ix, tunnel, "source.service_meshes.mesh.status=healthy;by=ops;evidence=UI"].iter().map(|t| parse_cli(t).unwrap()).collect();
        s.sites[0].service_meshes.as_mut().unwrap()[0].name = Some("mesh".into());
        apply(&mut s, &atts, Utc::now()).unwrap();
        let mesh = &s.sites[0].service_meshes.as_ref().unwrap()[0];
        let list = mesh.appliances.as_ref().unwrap();
        assert_eq!((mesh.status, list[1].status, list[0].tunnel_status), (Some(Status::Healthy), Some(Status::Healthy), Some(TunnelStatus::Up)));
        let stamp = &list[0].attested["tunnel_status"];
        assert_eq!((stamp.provenance, stamp.stamp.attested_by.as_deref()), (Provenance::Attested, Some("ops")));
        assert!(mesh.attested.contains_key("status") && list[1].attested.contains_key("status"));
        assert_eq!(s.attestations.last().unwrap().fact, "service_meshes.mesh.status");
        for bad in [
            "source.service_meshes.mesh.appliances.NE-1.tunnel_status=sideways;evidence=x",
            "source.service_meshes.mesh.appliances.NE-1.colour=red;evidence=x",
            "source.service_meshes.nomesh.status=healthy;evidence=x",
            "source.service_meshes.mesh.appliances.NE-9.ha_group=ha-1;evidence=x",
            "source.service_meshes.mesh.appliances.NE-1.ha_group=true;evidence=x",
            "source.operations.extended_networks=many;evidence=x",
        ] {
            assert!(apply(&mut s, &[parse_cli(bad).unwrap()], Utc::now()).is_err(), "{bad}");
        }
    }

    #[test]
    fn toml_and_json_files() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("a.toml");
        std::fs::write(
            &t,
            "[[attestation]]\nsite = \"source\"\nfact = \"backup.supported\"\nvalue = false\nevidence = \"provider\"\n",
        )
        .unwrap();
        assert_eq!(load_file(&t).unwrap()[0].value, serde_json::Value::Bool(false));
        let j = dir.path().join("a.json");
        std::fs::write(&j, r#"{"attestations":[{"site":"source","fact":"manager.disk_common_used_percent","value":41.5,"evidence":"df"}]}"#).unwrap();
        assert_eq!(load_file(&j).unwrap().len(), 1);
        std::fs::write(&j, r#"{"attestations":[{"site":"s"}]}"#).unwrap();
        assert!(load_file(&j).is_err());
        std::fs::write(&j, r#"{"neither":[]}"#).unwrap();
        assert!(load_file(&j).is_err());
    }

    #[test]
    fn the_unknown_facts_form_filled_in_or_refused_naming_the_entry() {
        let entry = |value: &str, evidence: &str| {
            format!(r#"{{"site":"source","fact":"backup.last_success_at","why":"no API","accepted":"a time","value":"{value}","evidence":"{evidence}"}}"#)
        };
        let form = |entries: &[String]| format!(r#"{{"unknown_facts":[{}]}}"#, entries.join(","));
        let ok = parse_text(&form(&[entry("2026-11-29T02:00:00Z", "job 4711")]), true, "f").unwrap();
        assert_eq!((ok[0].fact.as_str(), ok[0].evidence.as_deref()), ("backup.last_success_at", Some("job 4711")));
        for unfilled in [entry("", "job"), entry("2026-11-29T02:00:00Z", " ")] {
            let err = parse_text(&form(&[entry("2026-11-29T02:00:00Z", "x"), unfilled]), true, "f").unwrap_err().to_string();
            assert!(err.contains("entry 2 (source.backup.last_success_at) is not filled in"), "{err}");
        }
        let toml = "[[unknown_facts]]\nsite = \"source\"\nfact = \"manager.disk_common_used_percent\"\nvalue = \"40\"\nevidence = \"df\"\n";
        assert_eq!(parse_text(toml, false, "f").unwrap().len(), 1);
    }
}
