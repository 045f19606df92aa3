# Advisories for release boundaries: the Photon OS move in 4.4.0 (Service Mesh
# upgrade, KB 90082 for .local names) and the PostgreSQL move in 4.3.0 (KB 87041).
package hcx.rules.boundaries

import data.hcx.lib

_photon := data.hcx.params.boundaries.photon_os

_postgres := data.hcx.params.boundaries.postgresql

# From below 4.4.0 to 4.4.0 or later: all Service Mesh appliances must be upgraded.
violation contains lib.finding("photon-mesh-upgrade", site.name, lib.manager_name(site), msg) if {
	some site in lib.sites
	lib.crosses(site, _photon)
	names := sort([sprintf("%s (%s)", [lib.appliance_name(x.mesh, x.appliance), _version(x.appliance)]) |
		some x in lib.appliances
		x.site == site.name
	])
	msg := sprintf("upgrading %s across %s moves HCX appliances to Photon OS: all %d Service Mesh appliances must be upgraded after the managers: %s", [
		site.name, _photon, count(names), _list_or_none(names),
	])
}

_version(appliance) := appliance.version if is_string(appliance.version)

_version(appliance) := "version unknown" if not is_string(object.get(appliance, "version", null))

_list_or_none(names) := concat(", ", names) if count(names) > 0

_list_or_none(names) := "none listed in the snapshot" if count(names) == 0

# Same boundary: any FQDN or DNS domain involved ends in .local (KB 90082).
violation contains lib.finding("kb90082-local-fqdn", site.name, name, msg) if {
	some site in lib.sites
	lib.crosses(site, _photon)
	some name in _names(site)
	_is_local(name)
	msg := sprintf("%s is in the .local domain: after the move to Photon OS in %s, DNS resolution of .local names may fail (KB 90082)", [name, _photon])
}

_names(site) := {n | n := site.manager.fqdn; is_string(n)} | {n |
	n := site.manager.dns.domain
	is_string(n)
} | {n |
	some n in lib.as_list(site.manager.dns.search_domains)
} | {h |
	some c in lib.as_list(site.connections)
	h := lib.url_host(c.url)
} | {h |
	some p in lib.as_list(site.site_pairs)
	h := lib.url_host(p.remote_url)
}

_is_local(name) if endswith(trim_right(lower(name), "."), ".local")

_is_local(name) if trim_right(lower(name), ".") == "local"

# From below 4.3.0 to 4.3.0 or later: the upgrade reversal procedure is the primary restore.
violation contains lib.finding("kb87041-upgrade-reversal", site.name, lib.manager_name(site), msg) if {
	lib.phase == "managers"
	some site in lib.sites
	lib.manager_crosses(site, _postgres)
	msg := sprintf("%s moves from %s across %s (database move to PostgreSQL): use the upgrade reversal procedure of KB 87041 as the primary restore option, ahead of backup/restore or vSphere snapshots", [
		lib.manager_name(site), site.manager.version, _postgres,
	])
}
