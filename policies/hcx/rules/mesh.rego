# The Service Mesh phases: advisories before the appliance upgrade (OSAM redeploy, NE HA
# groups by failover) and the check after it (every appliance on its manager's version,
# tunnels up). Sources: the vendor's "Upgrading the HCX Service Mesh Appliances" (4.6,
# 4.10) and "Network Extension appliance upgrade" (4.7) pages; see the catalog.
package hcx.rules.mesh

import data.hcx.lib

_site[site.name] := site if some i, site in lib.sites

# Appliances that the mesh upgrade to the target still has to update.
_to_upgrade contains x if {
	some x in lib.appliances
	not lib.on_target(object.get(x.appliance, "version", null))
}

_name(x) := lib.appliance_name(x.mesh, x.appliance)

# Phase service-mesh: SGW/SDR (OSAM) show no update flag; redeploying the SGW updates both.
violation contains lib.with_evidence(lib.finding("osam-redeploy", x.site, _name(x), msg), ev) if {
	lib.phase == "service-mesh"
	some x in _to_upgrade
	lib.appliance_of(x.appliance, "osam")
	msg := sprintf("%s (%s, on %s) is an OSAM appliance: SGW and SDR show no update flag by design; redeploy the SGW from the source site, which updates SGW and SDR at both sites", [
		_name(x), x.appliance.type, lib.version_text(x.appliance.version),
	])
	ev := _appliance_evidence(x, ["type", "version"])
}

# Phase service-mesh: Network Extension appliances in an HA group upgrade by failover.
_ne contains x if {
	some x in _to_upgrade
	lib.appliance_of(x.appliance, "network_extension")
}

_groups contains [x.site, x.appliance.ha_group] if {
	some x in _ne
	is_string(x.appliance.ha_group)
}

violation contains lib.with_evidence(lib.finding("ne-ha-failover-upgrade", site_name, group, msg), ev) if {
	lib.phase == "service-mesh"
	some [site_name, group] in _groups
	members := sort([_name(x) | some x in _ne; x.site == site_name; x.appliance.ha_group == group])
	msg := sprintf("Network Extension HA group %s at %s (%s) has no in-service upgrade: it upgrades by failover, the standby pair first, then the former active pair", [
		group, site_name, concat(", ", members),
	])
	ev := _ha_group_evidence(site_name, group)
}

violation contains lib.with_evidence(lib.unknown_fact(lib.finding("ne-ha-failover-upgrade", site_name, "ha_group", msg)), ev) if {
	lib.phase == "service-mesh"
	some site_name in {x.site | some x in _ne; object.get(x.appliance, "ha_group", null) == null}
	unknown := [x | some x in _ne; x.site == site_name; object.get(x.appliance, "ha_group", null) == null]
	members := sort([_name(x) | some x in unknown])
	hints := sort([lib.appliance_attest_hint(x, "ha_group", "GROUP|none") | some x in unknown])
	msg := sprintf("whether the Network Extension %s %s at %s %s in an HA group is unknown (no public API reports it): an HA group has no in-service upgrade and upgrades by failover, standby pair first; attest %s: %s", [
		_appliances_word(count(members)), concat(", ", members), site_name, _is_are(count(members)), _it_each(count(members)), concat(" ", hints),
	])
	ev := _ha_group_evidence(site_name, null)
}

_appliances_word(1) := "appliance"

_appliances_word(n) := "appliances" if n != 1

_is_are(1) := "is"

_is_are(n) := "are" if n != 1

_it_each(1) := "it"

_it_each(n) := "each" if n != 1

# Phase verify-mesh: every appliance on its manager's version, every tunnel up, no mesh
# still offering an update, and no peer appliances out of sight.
_how(appliance) := "redeploy the SGW from the source site (it updates SGW and SDR at both sites)" if lib.appliance_of(appliance, "osam")

_how(appliance) := "update it from the source site (Service Mesh > View Appliances > Update Appliance; its peer follows)" if not lib.appliance_of(appliance, "osam")

violation contains lib.with_evidence(lib.finding("appliance-version-lag", x.site, _name(x), msg), ev) if {
	lib.phase == "verify-mesh"
	some x in lib.appliances
	manager := _site[x.site].manager
	not _same_version(object.get(x.appliance, "version", null), object.get(manager, "version", null))
	msg := sprintf("appliance %s is on %s, its manager %s on %s: the Service Mesh upgrade is not complete; %s", [
		_name(x), lib.version_text(x.appliance.version), lib.manager_name(_site[x.site]),
		lib.version_text(manager.version), _how(x.appliance),
	])
	ev := array.concat(_appliance_evidence(x, ["version", "type"]), [lib.evidence_at([x.at[0], x.at[1], "manager", "version"])])
}

_same_version(a, b) if {
	is_string(a)
	is_string(b)
	lib.version_eq(a, b)
}

violation contains lib.with_evidence(lib.finding("appliance-version-lag", x.site, _name(x), msg), ev) if {
	lib.phase == "verify-mesh"
	some x in lib.appliances
	x.appliance.tunnel_status != "up"
	msg := sprintf("the tunnel of appliance %s is %s: the Service Mesh upgrade ends with every appliance back to Tunnel Up%s", [
		_name(x), _tunnel_word(x.appliance), _tunnel_hint(x),
	])
	ev := _appliance_evidence(x, ["tunnel_status"])
}

violation contains lib.with_evidence(lib.finding("appliance-version-lag", site.name, name, msg), ev) if {
	lib.phase == "verify-mesh"
	some i, site in lib.sites
	some m, mesh in lib.as_list(site.service_meshes)
	mesh.update_available == true
	name := lib.either(mesh.name, mesh.id)
	msg := sprintf("Service Mesh %s at %s still offers an update: the Service Mesh upgrade is not complete", [name, site.name])
	ev := [lib.site_evidence(i, ["service_meshes", m, "update_available"])]
}

violation contains lib.with_evidence(lib.finding("appliance-version-lag", site.name, name, msg), ev) if {
	lib.phase == "verify-mesh"
	some i, site in lib.sites
	count(lib.as_list(site.service_meshes)) > 0
	some j, pair in lib.as_list(site.site_pairs)
	not lib.pair_collected(site, pair)
	name := lib.either(pair.remote_name, pair.remote_url)
	msg := sprintf("the peer appliances at %s (paired with %s) are not in the snapshot, so whether they reached their manager's version cannot be verified: collect that site too (--site)", [name, site.name])
	ev := [lib.site_evidence(i, ["site_pairs", j, k]) | some k in ["remote_name", "remote_url"]]
}

_appliance_evidence(x, fields) := [lib.field_evidence(x.at, x.appliance, f) | some f in fields]

# The HA group of each Network Extension appliance of a group (null: of none known) at a
# site, in pointer order (sorted as [pointer, item] pairs: both engines order arrays alike).
_ha_group_evidence(site_name, group) := [pair[1] | some pair in sort([[e.pointer, e] |
	some x in _ne
	x.site == site_name
	object.get(x.appliance, "ha_group", null) == group
	e := lib.field_evidence(x.at, x.appliance, "ha_group")
])]

_tunnel_word(appliance) := appliance.tunnel_status if lib.tunnel_down(object.get(appliance, "tunnel_status", null))

_tunnel_word(appliance) := "unknown" if lib.status_unknown(object.get(appliance, "tunnel_status", null))

# Unknown: the line that attests it once the appliance shows Tunnel Up.
_tunnel_hint(x) := "" if lib.tunnel_down(object.get(x.appliance, "tunnel_status", null))

_tunnel_hint(x) := sprintf("; if it shows Tunnel Up, attest it: %s", [lib.appliance_attest_hint(x, "tunnel_status", "up")]) if {
	lib.status_unknown(object.get(x.appliance, "tunnel_status", null))
}
