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
	contains(f.message, "of unknown status")
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
	contains(f.message, "tunnel of appliance mesh/IX is of unknown state")
}

test_an_unhealthy_site_pair if {
	s := t.site({"site_pairs": [object.union(t.base_site.site_pairs[0], {"status": "unknown", "remote_name": null, "message": "timeout"})]})
	f := t.one(health.violation) with input as t.managers([s])
	f.id == "site-pair-unhealthy"
	f.resource == "https://cloud.example"
	contains(f.message, "is unknown (timeout)")
}
