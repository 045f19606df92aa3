# Health of everything the upgrade depends on: registered systems, the
# Interconnect (Service Mesh, appliances, tunnels) and site pairs. Only
# "healthy" (or a tunnel "up") counts; unknown fails closed.
package hcx.rules.health

import data.hcx.lib

_kind_names := {
	"vcenter": "vCenter Server",
	"nsx": "NSX Manager",
	"cloud_director": "Cloud Director",
	"rmq": "RabbitMQ",
	"lookup_service": "lookup service",
}

_conn_name(c) := sprintf("%s %s", [_kind_names[c.kind], c.url]) if is_string(c.url)

_conn_name(c) := _kind_names[c.kind] if not is_string(object.get(c, "url", null))

_resource(c) := c.url if is_string(c.url)

_resource(c) := c.kind if not is_string(object.get(c, "url", null))

_detail(x) := sprintf(" (%s)", [x.message]) if is_string(x.message)

_detail(x) := "" if not is_string(object.get(x, "message", null))

violation contains lib.finding("connection-unhealthy", site.name, _resource(c), msg) if {
	some site in lib.sites
	some c in lib.as_list(site.connections)
	c.status in {"degraded", "unhealthy"}
	msg := sprintf("%s reports its connection to %s as %s%s", [lib.manager_name(site), _conn_name(c), c.status, _detail(c)])
}

# Unknown: deny, but warn on a provider-managed site whose provider owns those connections.
_unknown_severity(site) := "warn" if site.manager.provider_managed == true

_unknown_severity(site) := "deny" if site.manager.provider_managed != true

violation contains lib.finding_with_severity("connection-unknown", site.name, _resource(c), msg, _unknown_severity(site)) if {
	some site in lib.sites
	some c in lib.as_list(site.connections)
	not object.get(c, "status", null) in {"healthy", "degraded", "unhealthy"}
	msg := sprintf("the health of %s's connection to %s could not be read%s: verify it on the appliance management dashboard, or attest it", [lib.manager_name(site), _conn_name(c), _detail(c)])
}

violation contains lib.finding_with_severity("connection-unknown", site.name, "connections", msg, _unknown_severity(site)) if {
	some site in lib.sites
	site.connections == null
	msg := sprintf("the registered systems of %s could not be read (%s): verify vCenter, NSX, Cloud Director and RMQ connections on the appliance management dashboard, or attest them", [lib.manager_name(site), lib.why_missing(site.name, "connections")])
}

violation contains lib.finding("interconnect-unhealthy", site.name, name, msg) if {
	some site in lib.sites
	some mesh in lib.as_list(site.service_meshes)
	_mesh_unhealthy(mesh)
	name := lib.either(mesh.name, mesh.id)
	msg := sprintf("Service Mesh %s is %s (state %s)", [name, lib.either(mesh.status, "of unknown status"), lib.either(mesh.state, "unknown")])
}

_mesh_unhealthy(mesh) if not lib.healthy(object.get(mesh, "status", null))

_mesh_unhealthy(mesh) if contains(upper(mesh.state), "FAIL")

violation contains lib.finding("interconnect-unhealthy", x.site, name, msg) if {
	some x in lib.appliances
	not lib.healthy(object.get(x.appliance, "status", null))
	name := lib.appliance_name(x.mesh, x.appliance)
	msg := sprintf("appliance %s (%s) is %s", [name, lib.either(x.appliance.type, "type unknown"), lib.either(x.appliance.status, "of unknown status")])
}

violation contains lib.finding("interconnect-unhealthy", x.site, name, msg) if {
	some x in lib.appliances
	x.appliance.tunnel_status != "up"
	name := lib.appliance_name(x.mesh, x.appliance)
	msg := sprintf("the tunnel of appliance %s is %s", [name, lib.either(x.appliance.tunnel_status, "of unknown state")])
}

violation contains lib.finding("site-pair-unhealthy", site.name, name, msg) if {
	some site in lib.sites
	some pair in lib.as_list(site.site_pairs)
	not lib.healthy(object.get(pair, "status", null))
	name := lib.either(pair.remote_name, pair.remote_url)
	msg := sprintf("the site pair from %s to %s (%s) is %s%s", [lib.manager_name(site), name, lib.either(pair.remote_url, "url unknown"), lib.either(pair.status, "of unknown status"), _detail(pair)])
}
