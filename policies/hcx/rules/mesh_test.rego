# Unit tests of the Service Mesh phase rules: osam-redeploy, ne-ha-failover-upgrade and
# appliance-version-lag.
package hcx.rules.mesh_test

import data.hcx.rules.mesh
import data.hcx.testing as t

_appliance(name, type, version, changes) := object.union(
	{"id": name, "name": name, "type": type, "version": version, "status": "healthy", "tunnel_status": "up", "update_available": false},
	changes,
)

_with(site, appliances) := object.union(site, {"service_meshes": [object.union(t.base_site.service_meshes[0], {"appliances": appliances})]})

_ids(fs) := {[f.id, f.site, f.resource] | some f in fs}

test_osam_below_the_target_is_redeployed if {
	s := _with(t.base_site, [_appliance("SGW", "HCX-SGW", "4.10.3", {}), _appliance("SDR", "hcx-sdr", "4.11.0", {})])
	fs := mesh.violation with input as t.input_for([s], "service-mesh", "4.11.0")
	_ids(fs) == {["osam-redeploy", "source", "mesh/SGW"]}
	count(mesh.violation) == 0 with input as t.input_for([s], "managers", "4.11.0")
}

test_ne_ha_groups_named_unknown_and_none if {
	s := _with(t.base_site, [
		_appliance("NE-1", "HCX-NET-EXT", "4.10.3", {"ha_group": "g1"}),
		_appliance("NE-2", "HCX-NET-EXT-EDGE", "4.10.3", {"ha_group": "g1"}),
		_appliance("NE-3", "HCX-NET-EXT", "4.10.3", {"ha_group": null}),
		_appliance("NE-4", "HCX-NET-EXT", "4.10.3", {"ha_group": false}),
		_appliance("NE-5", "HCX-NET-EXT", "4.10.3", {}),
	])
	fs := mesh.violation with input as t.input_for([s], "service-mesh", "4.11.0")
	_ids(fs) == {["ne-ha-failover-upgrade", "source", "g1"], ["ne-ha-failover-upgrade", "source", "ha_group"]}
	some named in fs
	named.resource == "g1"
	contains(named.message, "(mesh/NE-1, mesh/NE-2) has no in-service upgrade")
	some unknown in fs
	unknown.resource == "ha_group"
	contains(unknown.message, "appliances mesh/NE-3, mesh/NE-5 at source are in an HA group is unknown")
	contains(unknown.message, "attest each: --attest 'source.service_meshes.mesh.appliances.NE-3.ha_group=GROUP|none;evidence=WHAT SHOWS IT' --attest 'source.service_meshes.mesh.appliances.NE-5.ha_group=GROUP|none;evidence=WHAT SHOWS IT'")
	unknown.unknown
	[e.pointer | some e in unknown.evidence] == ["/sites/0/service_meshes/0/appliances/2/ha_group", "/sites/0/service_meshes/0/appliances/4/ha_group"]
	count(mesh.violation) == 0 with input as t.input_for([s], "verify", "4.10.3")
}

test_verify_mesh_complete if {
	count(mesh.violation) == 0 with input as t.input_for([t.base_site, t.cloud({"site_pairs": []})], "verify-mesh", "4.10.3")
}

test_verify_mesh_lagging_appliances if {
	s := _with(t.base_site, [
		_appliance("IX", "HCX-WAN-IX", "4.10.2", {}),
		_appliance("SGW", "HCX-SGW", null, {}),
		_appliance("NE", "HCX-NET-EXT", "4.10.3", {"tunnel_status": null}),
	])
	fs := mesh.violation with input as t.input_for([s, t.cloud({"site_pairs": []})], "verify-mesh", "4.10.3")
	_ids(fs) == {["appliance-version-lag", "source", "mesh/IX"], ["appliance-version-lag", "source", "mesh/SGW"], ["appliance-version-lag", "source", "mesh/NE"]}
	msgs := {f.message | some f in fs}
	"appliance mesh/IX is on 4.10.2, its manager hcx.corp.example on 4.10.3: the Service Mesh upgrade is not complete; update it from the source site (Service Mesh > View Appliances > Update Appliance; its peer follows)" in msgs
	"appliance mesh/SGW is on unknown, its manager hcx.corp.example on 4.10.3: the Service Mesh upgrade is not complete; redeploy the SGW from the source site (it updates SGW and SDR at both sites)" in msgs
	"the tunnel of appliance mesh/NE is unknown: the Service Mesh upgrade ends with every appliance back to Tunnel Up; if it shows Tunnel Up, attest it: --attest 'source.service_meshes.mesh.appliances.NE.tunnel_status=up;evidence=WHAT SHOWS IT'" in msgs
}

test_verify_mesh_update_still_offered_and_peers_out_of_sight if {
	s := t.site({"service_meshes": [object.union(t.base_site.service_meshes[0], {"update_available": true})]})
	fs := mesh.violation with input as t.input_for([s], "verify-mesh", "4.10.3")
	_ids(fs) == {["appliance-version-lag", "source", "mesh"], ["appliance-version-lag", "source", "cloud"]}
}

test_verify_mesh_a_tunnel_down_and_one_ne_of_unknown_group if {
	down := _with(t.base_site, [_appliance("IX", "HCX-WAN-IX", "4.10.3", {"tunnel_status": "down"})])
	[f] := [x | some x in mesh.violation; x.id == "appliance-version-lag"] with input as t.input_for([down, t.cloud({"site_pairs": []})], "verify-mesh", "4.10.3")
	f.message == "the tunnel of appliance mesh/IX is down: the Service Mesh upgrade ends with every appliance back to Tunnel Up"
	one := _with(t.base_site, [_appliance("NE-3", "HCX-NET-EXT", "4.10.3", {"ha_group": null})])
	[g] := [x | some x in mesh.violation; x.resource == "ha_group"] with input as t.input_for([one], "service-mesh", "4.11.0")
	contains(g.message, "whether the Network Extension appliance mesh/NE-3 at source is in an HA group is unknown")
	contains(g.message, "attest it: --attest 'source.service_meshes.mesh.appliances.NE-3.ha_group=GROUP|none;evidence=WHAT SHOWS IT'")
}
