# Unit tests of connection-unhealthy, connection-unknown, interconnect-unhealthy and
# site-pair-unhealthy.
package hcx.rules.health_test

import data.hcx.rules.health
import data.hcx.testing as t

_conn(changes) := t.site({"connections": [object.union(t.base_site.connections[0], changes)]})

_appliance(changes) := t.site({"service_meshes": [object.union(t.base_site.service_meshes[0], {"appliances": [object.union(t.base_site.service_meshes[0].appliances[0], changes)]})]})

test_a_healthy_estate_has_no_health_findings if {
	count(health.violation) == 0 with input as t.managers([t.base_site, t.cloud({})])
}

test_a_degraded_connection if {
	f := t.one(health.violation) with input as t.managers([_conn({"status": "degraded", "message": "certificate expired"})])
	f.id == "connection-unhealthy"
	f.resource == "https://vc.corp.example"
	contains(f.message, "vCenter Server https://vc.corp.example as degraded (certificate expired)")
}

test_an_unknown_connection_denies if {
	f := t.one(health.violation) with input as t.managers([_conn({"status": "unknown", "url": null})])
	f.id == "connection-unknown"
	f.severity == "deny"
	f.resource == "vcenter"
}

test_an_unknown_connection_warns_on_a_provider_managed_site if {
	s := object.union(_conn({"status": "unknown"}), {"manager": {"provider_managed": true}})
	f := t.one(health.violation) with input as t.managers([s])
	f.severity == "warn"
}

test_unreadable_connections if {
	f := t.one(health.violation) with input as t.managers([t.site({"connections": null})])
	f.id == "connection-unknown"
	f.resource == "connections"
}

test_an_unhealthy_mesh if {
	s := t.site({"service_meshes": [object.union(t.base_site.service_meshes[0], {"status": null, "name": null})]})
	f := t.one(health.violation) with input as t.managers([s])
	f.id == "interconnect-unhealthy"
	f.resource == "sm-1"
	f.unknown
	contains(f.message, "the status of Service Mesh sm-1 at source is unknown (state COMMITTED): if Interconnect > Service Mesh shows it healthy, attest it: --attest 'source.service_meshes.sm-1.status=healthy;evidence=WHAT SHOWS IT'")
	f.evidence[0] == {"pointer": "/sites/0/service_meshes/0/status", "value": null}
}

# A status that was read and is bad is not "unknown": it gets the repair steps.
test_a_known_bad_mesh_is_not_unknown if {
	s := t.site({"service_meshes": [object.union(t.base_site.service_meshes[0], {"status": "degraded"})]})
	f := t.one(health.violation) with input as t.managers([s])
	not f.unknown
	contains(f.message, "Service Mesh mesh is degraded (state COMMITTED)")
}

test_an_unknown_appliance_says_how_to_attest_it if {
	f := t.one(health.violation) with input as t.managers([_appliance({"status": "unknown"})])
	f.unknown
	contains(f.message, "the status of appliance mesh/IX (HCX-WAN-IX) at source is unknown: if Interconnect > Service Mesh > Appliances shows it healthy, attest it: --attest 'source.service_meshes.mesh.appliances.IX.status=healthy;evidence=WHAT SHOWS IT'")
}

# The reference's per-service mesh status: the collector puts the failing services and
# their reasons into the mesh's message, which the finding quotes.
test_an_unhealthy_mesh_names_its_failing_services if {
	s := t.site({"service_meshes": [object.union(t.base_site.service_meshes[0], {"status": "unhealthy", "message": "NETWORK_EXTENSION: DOWN (NE tunnel down)"})]})
	f := t.one(health.violation) with input as t.managers([s])
	endswith(f.message, "(state COMMITTED) (NETWORK_EXTENSION: DOWN (NE tunnel down))")
}

test_a_failed_mesh_state if {
	s := t.site({"service_meshes": [object.union(t.base_site.service_meshes[0], {"state": "DEPLOY_FAILED"})]})
	count(t.of(health.violation, "interconnect-unhealthy")) == 1 with input as t.managers([s])
}

test_an_unhealthy_appliance if {
	f := t.one(health.violation) with input as t.managers([_appliance({"status": "unhealthy", "type": null})])
	f.resource == "mesh/IX"
	contains(f.message, "(type unknown) is unhealthy")
}

test_an_unhealthy_appliance_quotes_its_reasons if {
	f := t.one(health.violation) with input as t.managers([_appliance({"status": "degraded", "type": "HCX-WAN-IX-EDGE", "message": "tunnel latency high"})])
	endswith(f.message, "(HCX-WAN-IX-EDGE) is degraded (tunnel latency high)")
}

test_a_tunnel_that_is_not_up if {
	f := t.one(health.violation) with input as t.managers([_appliance({"tunnel_status": null})])
	f.unknown
	contains(f.message, "the tunnel state of appliance mesh/IX at source is unknown: if the appliance shows Tunnel Up, attest it: --attest 'source.service_meshes.mesh.appliances.IX.tunnel_status=up;evidence=WHAT SHOWS IT'")
	g := t.one(health.violation) with input as t.managers([_appliance({"tunnel_status": "down"})])
	not g.unknown
	g.message == "the tunnel of appliance mesh/IX is down"
}

test_an_unhealthy_site_pair if {
	s := t.site({"site_pairs": [object.union(t.base_site.site_pairs[0], {"status": "unknown", "remote_name": null, "message": "timeout"})]})
	f := t.one(health.violation) with input as t.managers([s])
	f.id == "site-pair-unhealthy"
	f.resource == "https://cloud.example"
	f.unknown
	contains(f.message, "the health of the site pair from hcx.corp.example to https://cloud.example (https://cloud.example) is unknown (timeout): if the Site Pairing page shows it connected, attest it: --attest 'source.site_pairs.e-1.status=healthy;evidence=WHAT SHOWS IT'")
	bad := t.site({"site_pairs": [object.union(t.base_site.site_pairs[0], {"status": "unhealthy"})]})
	g := t.one(health.violation) with input as t.managers([bad])
	not g.unknown
	not contains(object.get(g, "message", ""), "--attest")
}

_found_with(list) := found if {
	found := {[f.id, f.resource, f.severity] | some f in health.violation} with input as t.managers([t.site({"connections": list})])
}

test_a_site_without_a_vcenter_connection_is_not_healthy if {
	_found_with([]) == {["connection-unknown", "vcenter", "deny"]}
	nsx_only := [{"kind": "nsx", "url": "https://nsx", "status": "healthy", "message": null}, {"kind": "lookup_service", "url": "https://vc/lookupservice/sdk", "status": "healthy", "message": null}]
	_found_with(nsx_only) == {["connection-unknown", "vcenter", "deny"]}
	f := t.one(health.violation) with input as t.managers([t.site({"connections": []})])
	contains(f.message, "(site source) lists no connection to vCenter Server")
	contains(f.message, "--attest 'source.connections.vcenter.status=healthy;evidence=WHAT SHOWS IT'")
}

test_not_in_use_settles_only_optional_connections if {
	optional := [t.base_site.connections[0], {"kind": "cloud_director", "url": null, "status": "not_in_use", "message": null, "provenance": "attested", "attested_at": "2026-11-29T09:00:00Z", "attested_by": "ops", "evidence": "no VCD"}]
	count(health.violation) == 0 with input as t.managers([t.site({"connections": optional})])
	f := t.one(health.violation) with input as t.managers([_conn({"status": "not_in_use"})])
	f.id == "connection-unknown"
	contains(f.message, "status=healthy;")
}

test_unknown_cloud_director_tells_how_to_attest_with_the_real_site_name if {
	vcd := {"kind": "cloud_director", "url": null, "status": "unknown", "message": "no API reports it"}
	s := t.cloud({"name": "cloud-east.example", "connections": [t.base_site.connections[0], vcd]})
	f := t.one(health.violation) with input as t.managers([s])
	f.id == "connection-unknown"
	contains(f.message, "--attest 'cloud-east.example.connections.cloud_director.status=healthy;evidence=WHAT SHOWS IT' (or, if the site does not use Cloud Director: --attest '")
}

test_an_attested_connection_that_no_longer_holds_is_unknown if {
	attested := {"provenance": "attested", "evidence": "UI green", "attested_by": "ops", "attested_at": "2026-11-29T09:00:00Z", "attested_on_version": "4.10.3"}
	count(health.violation) == 0 with input as t.managers([_conn(attested)])
	upgraded := t.site({"manager": {"version": "4.11.0"}, "connections": [object.union(t.base_site.connections[0], attested)]})
	f := t.one(health.violation) with input as t.input_for([upgraded], "verify", "4.11.0")
	f.id == "connection-unknown"
	contains(f.message, "made while the manager ran 4.10.3, and it now reports 4.11.0 (upgraded since)")
	unstamped := _conn(object.remove(attested, ["attested_at"]))
	g := t.one(health.violation) with input as t.managers([unstamped])
	contains(g.message, "it carries no attestation time")
}

test_an_attested_site_pair_that_no_longer_holds_is_not_healthy if {
	attested := {"provenance": "attested", "evidence": "Site Pairing page", "attested_by": "ops", "attested_at": "2026-11-29T09:00:00Z", "attested_on_version": "4.10.3"}
	upgraded := t.site({"manager": {"version": "4.11.0"}, "site_pairs": [object.union(t.base_site.site_pairs[0], attested)]})
	f := t.one(t.of(health.violation, "site-pair-unhealthy")) with input as t.input_for([upgraded], "verify", "4.11.0")
	contains(f.message, "was attested by ops at 2026-11-29T09:00:00Z as healthy, which no longer holds")
	contains(f.message, "--attest 'source.site_pairs.cloud.status=healthy;evidence=WHAT SHOWS IT'")
}

test_unknown_mesh_appliance_and_tunnel_states_tell_how_to_attest if {
	mesh := t.site({"service_meshes": [object.union(t.base_site.service_meshes[0], {"status": "unknown"})]})
	m := t.one(health.violation) with input as t.managers([mesh])
	endswith(m.message, "attest it: --attest 'source.service_meshes.mesh.status=healthy;evidence=WHAT SHOWS IT'")
	a := t.one(health.violation) with input as t.managers([_appliance({"status": null})])
	endswith(a.message, "--attest 'source.service_meshes.mesh.appliances.IX.status=healthy;evidence=WHAT SHOWS IT'")
	f := t.one(health.violation) with input as t.managers([_appliance({"tunnel_status": "unknown"})])
	endswith(f.message, "if the appliance shows Tunnel Up, attest it: --attest 'source.service_meshes.mesh.appliances.IX.tunnel_status=up;evidence=WHAT SHOWS IT'")
	down := t.one(health.violation) with input as t.managers([_appliance({"tunnel_status": "down"})])
	endswith(down.message, "is down")
}

test_attested_mesh_and_tunnel_states_age_like_every_attestation if {
	stamp := {"provenance": "attested", "evidence": "Service Mesh page", "attested_by": "ops", "attested_at": "2026-11-29T09:00:00Z", "attested_on_version": "4.10.3"}
	fresh := _appliance({"attested": {"tunnel_status": stamp, "status": stamp}})
	count(health.violation) == 0 with input as t.managers([fresh])
	upgraded := object.union(fresh, {"manager": {"version": "4.11.0"}})
	found := {f.message | some f in health.violation} with input as t.input_for([upgraded], "verify", "4.11.0")
	count(found) == 2
	some msg in found
	startswith(msg, "the tunnel_status up of mesh/IX was attested by ops at 2026-11-29T09:00:00Z, which no longer holds: it was made while the manager ran 4.10.3")
	endswith(msg, "--attest 'source.service_meshes.mesh.appliances.IX.tunnel_status=up;evidence=WHAT SHOWS IT'")
	mesh := t.site({"manager": {"version": "4.11.0"}, "service_meshes": [object.union(t.base_site.service_meshes[0], {"attested": {"status": stamp}})]})
	m := t.one(health.violation) with input as t.input_for([mesh], "verify", "4.11.0")
	contains(m.message, "the status healthy of mesh was attested by ops")
}
