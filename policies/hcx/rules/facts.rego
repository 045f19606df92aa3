# fact-missing: a fact that a rule needs is null, so that rule cannot decide.
# The gate fails closed: an unknown fact denies until it is collected or attested.
# Facts whose rules say otherwise (connections: connection-unknown; available
# updates: only checked when known) are not listed here.
package hcx.rules.facts

import data.hcx.lib

_all := {"managers", "service-mesh", "verify", "verify-mesh"}

_pre := {"managers", "service-mesh"}

_provider_managed(site) if site.manager.provider_managed == true

# [fact path, phases that need it, the rules that need it]
_needed := {
	["manager.version", _all, "every version rule"],
	["site_pairs", _all, "site-pair-unhealthy, version-skew, managers-first"],
	["service_meshes", _all, "interconnect-unhealthy, photon-mesh-upgrade, appliance-version-lag"],
	["operations.active_migrations", _pre, "active-operations"],
	["operations.active_replications", _pre, "active-operations"],
	["manager.disk_common_used_percent", {"managers"}, "disk-space"],
	["operations.extended_networks", {"service-mesh"}, "active-operations"],
}

_value(site, path) := object.get(site, split(path, "."), null)

# Facts only the appliance management interface (9443) gives: a provider that manages
# HCX may hide it, and owns those facts; there they only warn.
_appliance_management_facts := {"manager.disk_common_used_percent", "manager.dns", "manager.fqdn"}

_severity(site, path) := "warn" if {
	_provider_managed(site)
	path in _appliance_management_facts
}

_severity(site, path) := "deny" if not _provider_managed(site)

_severity(site, path) := "deny" if not path in _appliance_management_facts

violation contains lib.with_evidence(lib.finding_with_severity("fact-missing", site.name, sprintf("sites[%s].%s", [site.name, path]), msg, _severity(site, path)), ev) if {
	some i, site in lib.sites
	some [path, phases, rules] in _needed
	lib.phase in phases
	_value(site, path) == null
	msg := sprintf("%s of site %s is unknown (%s), so %s cannot decide: collect it again or attest it", [path, site.name, lib.why_missing(site.name, path), rules])
	ev := [_missing(i, path)]
}

# The null fact (or its null section) at site number i.
_missing(i, path) := lib.missing_evidence(array.concat(["sites", i], split(path, ".")))

# Backup state, unless the provider manages HCX (then backup-unavailable applies).
violation contains lib.with_evidence(lib.finding("fact-missing", site.name, sprintf("sites[%s].backup.supported", [site.name]), msg), ev) if {
	lib.phase == "managers"
	some i, site in lib.sites
	not _provider_managed(site)
	_value(site, "backup.supported") == null
	msg := sprintf("whether site %s can be backed up, and when it last was, is unknown (%s), so backup-missing cannot decide: attest the last backup (time and evidence)", [site.name, lib.why_missing(site.name, "backup")])
	ev := [_missing(i, "backup.supported")]
}

# Appliance lists of known meshes. The fact path is spelled as the collector writes it in
# `errors` and as `--attest` takes it: service_meshes.MESH.appliances (MESH: name, else id).
violation contains lib.with_evidence(lib.finding("fact-missing", site.name, sprintf("sites[%s].%s", [site.name, path]), msg), ev) if {
	some i, site in lib.sites
	some m, mesh in lib.as_list(site.service_meshes)
	mesh.appliances == null
	name := lib.either(mesh.name, mesh.id)
	path := sprintf("service_meshes.%s.appliances", [name])
	msg := sprintf("the appliances of Service Mesh %s at site %s are unknown (%s), so interconnect-unhealthy cannot decide", [name, site.name, lib.why_missing(site.name, path)])
	ev := [lib.site_evidence(i, ["service_meshes", m, "appliances"])]
}

# Names for KB 90082, when the upgrade crosses the Photon OS boundary.
violation contains lib.with_evidence(lib.finding_with_severity("fact-missing", site.name, sprintf("sites[%s].%s", [site.name, path]), msg, _severity(site, path)), ev) if {
	some i, site in lib.sites
	lib.crosses(site, data.hcx.params.boundaries.photon_os)
	some path in ["manager.fqdn", "manager.dns"]
	_value(site, path) == null
	msg := sprintf("%s of site %s is unknown (%s), so kb90082-local-fqdn cannot check for .local names", [path, site.name, lib.why_missing(site.name, path)])
	ev := [_missing(i, path), lib.plan_evidence("target_version")]
}
