# Advisories for release boundaries: the Photon OS move in 4.4.0 (Service Mesh
# upgrade, KB 90082 for .local names) and the PostgreSQL move in 4.3.0 (KB 87041).
package hcx.rules.boundaries

import data.hcx.lib

_photon := data.hcx.params.boundaries.photon_os

_postgres := data.hcx.params.boundaries.postgresql

# From below 4.4.0 to 4.4.0 or later: all Service Mesh appliances must be upgraded.
violation contains lib.with_evidence(lib.finding("photon-mesh-upgrade", site.name, lib.manager_name(site), msg), ev) if {
	some i, site in lib.sites
	lib.crosses(site, _photon)
	names := sort([sprintf("%s (%s)", [lib.appliance_name(x.mesh, x.appliance), _version(x.appliance)]) |
		some x in lib.appliances
		x.site == site.name
	])
	msg := sprintf("upgrading %s across %s moves HCX appliances to Photon OS: %s after the managers: %s", [
		site.name, _photon, _all_must(count(names)), _list_or_none(names),
	])
	ev := [lib.site_evidence(i, ["manager", "version"]), lib.plan_evidence("target_version")]
}

_all_must(1) := "the 1 Service Mesh appliance must be upgraded"

_all_must(n) := sprintf("all %d Service Mesh appliances must be upgraded", [n]) if n != 1

_version(appliance) := appliance.version if is_string(appliance.version)

_version(appliance) := "version unknown" if not is_string(object.get(appliance, "version", null))

_list_or_none(names) := concat(", ", names) if count(names) > 0

_list_or_none(names) := "none listed in the snapshot" if count(names) == 0

# Same boundary: any FQDN or DNS domain involved ends in .local (KB 90082). One finding per
# distinct name (case-insensitive), naming every place it appears; the site when all are at one.
violation contains lib.with_evidence(lib.finding("kb90082-local-fqdn", _one_site(places), name, msg), ev) if {
	some name in {o.name | some o in _local_names}
	places := [o | some o in _local_names; o.name == name]
	msg := sprintf("%s is in the .local domain (%s): after the move to Photon OS in %s, DNS resolution of .local names may fail (KB 90082)", [
		name, concat("; ", sort([sprintf("%s: %s", [o.site, o.where]) | some o in places])), _photon,
	])
	ev := [lib.evidence_at(o.path) | some o in _sorted(places)]
}

_one_site(places) := s if {
	sites := {o.site | some o in places}
	count(sites) == 1
	some s in sites
}

_one_site(places) := null if count({o.site | some o in places}) > 1

# Places in pointer order (sorted as [pointer, place] pairs), so that both engines list them alike.
_sorted(places) := [pair[1] | some pair in sort([[lib.pointer(o.path), o] | some o in places])]

# Every name involved at a site crossing the boundary that is a .local name, with its place.
_local_names contains {"name": lower(trim_right(o.value, ".")), "site": site.name, "where": o.where, "path": array.concat(["sites", i], o.rest)} if {
	some i, site in lib.sites
	lib.crosses(site, _photon)
	some o in _names(site)
	is_string(o.value)
	_is_local(o.value)
}

_names(site) := array.concat(
	array.concat(
		[
			{"value": object.get(site, ["manager", "fqdn"], null), "where": "manager FQDN", "rest": ["manager", "fqdn"]},
			{"value": object.get(site, ["manager", "dns", "domain"], null), "where": "DNS domain", "rest": ["manager", "dns", "domain"]},
		],
		[{"value": n, "where": "DNS search domain", "rest": ["manager", "dns", "search_domains", k]} | some k, n in lib.as_list(object.get(site, ["manager", "dns", "search_domains"], null))],
	),
	array.concat(
		[{"value": lib.url_host(c.url), "where": sprintf("URL of the %s connection", [c.kind]), "rest": ["connections", j, "url"]} | some j, c in lib.as_list(site.connections)],
		[{"value": lib.url_host(p.remote_url), "where": sprintf("URL of the site pair to %s", [lib.either(object.get(p, "remote_name", null), object.get(p, "endpoint_id", null))]), "rest": ["site_pairs", j, "remote_url"]} | some j, p in lib.as_list(site.site_pairs)],
	),
)

_is_local(name) if endswith(trim_right(lower(name), "."), ".local")

_is_local(name) if trim_right(lower(name), ".") == "local"

# From below 4.3.0 to 4.3.0 or later: the upgrade reversal procedure is the primary restore.
violation contains lib.with_evidence(lib.finding("kb87041-upgrade-reversal", site.name, lib.manager_name(site), msg), ev) if {
	lib.phase == "managers"
	some i, site in lib.sites
	lib.manager_crosses(site, _postgres)
	msg := sprintf("%s moves from %s across %s (database move to PostgreSQL): use the upgrade reversal procedure of KB 87041 as the primary restore option, ahead of backup/restore or vSphere snapshots", [
		lib.manager_name(site), site.manager.version, _postgres,
	])
	ev := [lib.site_evidence(i, ["manager", "version"]), lib.plan_evidence("target_version")]
}
