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

# A message in brackets, or nothing. Meshes and appliances carry `message` only when the
# manager gave a reason, so it is read with a default: under OPA, `not is_string(x.message)`
# is undefined (not true) when the key is absent.
_detail(x) := sprintf(" (%s)", [m]) if {
	m := object.get(x, "message", null)
	is_string(m)
}

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

# Connections that apply only "if used": an operator may attest them `not_in_use`.
# vCenter is mandatory and the lookup service is vCenter's: never "not in use".
_optional_kinds := {"nsx", "cloud_director", "rmq"}

_settled(c) if object.get(c, "status", null) in {"healthy", "degraded", "unhealthy"}

_settled(c) if {
	c.status == "not_in_use"
	c.kind in _optional_kinds
}

_hint_values(c) := "healthy|not_in_use" if c.kind in _optional_kinds

_hint_values(c) := "healthy" if not object.get(c, "kind", null) in _optional_kinds

_hint(site, c) := lib.attest_hint(site, sprintf("connections.%s.status", [c.kind]), _hint_values(c))

violation contains lib.finding_with_severity("connection-unknown", site.name, _resource(c), msg, _unknown_severity(site)) if {
	some site in lib.sites
	some c in lib.as_list(site.connections)
	not _settled(c)
	msg := sprintf("the health of %s's connection to %s could not be read%s: verify it on the appliance management dashboard, then attest it: %s", [lib.manager_name(site), _conn_name(c), _detail(c), _hint(site, c)])
}

# vCenter is mandatory on every site: a list without it is not healthy.
violation contains lib.finding_with_severity("connection-unknown", site.name, "vcenter", msg, _unknown_severity(site)) if {
	some site in lib.sites
	is_array(site.connections)
	not _lists_vcenter(site)
	msg := sprintf("%s (site %s) lists no connection to vCenter Server, which HCX needs on every site: register it, or verify it on the appliance management dashboard and attest it: %s", [
		lib.manager_name(site), site.name, lib.attest_hint(site, "connections.vcenter.status", "healthy"),
	])
}

_lists_vcenter(site) if {
	some c in site.connections
	c.kind == "vcenter"
}

# An attested status that no longer holds is unknown again.
violation contains lib.finding_with_severity("connection-unknown", site.name, _resource(c), msg, _unknown_severity(site)) if {
	some site in lib.sites
	some c in lib.as_list(site.connections)
	_settled(c)
	lapse := lib.attestation_lapse(site, c)
	msg := sprintf("the status %s of %s's connection to %s was %s, which no longer holds: %s; verify it again and attest it: %s", [
		c.status, lib.manager_name(site), _conn_name(c), lib.attested_by(c), lapse, _hint(site, c),
	])
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
	msg := sprintf("Service Mesh %s is %s (state %s)%s%s", [name, lib.either(mesh.status, "of unknown status"), lib.either(mesh.state, "unknown"), _detail(mesh), _unknown_hint(site, object.get(mesh, "status", null), lib.mesh_fact(mesh, "status"), "healthy")])
}

_mesh_unhealthy(mesh) if not lib.healthy(object.get(mesh, "status", null))

_mesh_unhealthy(mesh) if contains(upper(mesh.state), "FAIL")

violation contains lib.finding("interconnect-unhealthy", x.site, name, msg) if {
	some x in lib.appliances
	not lib.healthy(object.get(x.appliance, "status", null))
	name := lib.appliance_name(x.mesh, x.appliance)
	msg := sprintf("appliance %s (%s) is %s%s%s", [name, lib.either(x.appliance.type, "type unknown"), lib.either(x.appliance.status, "of unknown status"), _detail(x.appliance), _unknown_hint({"name": x.site}, object.get(x.appliance, "status", null), lib.appliance_fact(x.mesh, x.appliance, "status"), "healthy")])
}

violation contains lib.finding("interconnect-unhealthy", x.site, name, msg) if {
	some x in lib.appliances
	x.appliance.tunnel_status != "up"
	name := lib.appliance_name(x.mesh, x.appliance)
	msg := sprintf("the tunnel of appliance %s is %s%s", [name, lib.either(x.appliance.tunnel_status, "of unknown state"), _unknown_hint({"name": x.site}, object.get(x.appliance, "tunnel_status", null), lib.appliance_fact(x.mesh, x.appliance, "tunnel_status"), "up")])
}

# An unknown mesh, appliance or tunnel state: how to attest it once it is verified.
_unknown_hint(site, value, fact, good) := sprintf(": if the Service Mesh page shows it %s, attest it: %s", [good, lib.attest_hint(site, fact, good)]) if {
	value in {null, "unknown"}
}

_unknown_hint(_, value, _, _) := "" if not value in {null, "unknown"}

# An attested mesh, appliance or tunnel state that no longer holds is unknown again.
violation contains lib.finding("interconnect-unhealthy", x.site, x.resource, msg) if {
	some x in lib.lapsed_mesh_facts
	x.value in {"healthy", "up"}
	msg := sprintf("the %s %s of %s was %s, which no longer holds: %s; verify it again and attest it: %s", [
		x.field, x.value, x.resource, x.by, x.lapse, lib.attest_hint({"name": x.site}, x.fact, x.value),
	])
}

violation contains lib.finding("site-pair-unhealthy", site.name, name, msg) if {
	some site in lib.sites
	some pair in lib.as_list(site.site_pairs)
	not lib.healthy(object.get(pair, "status", null))
	name := lib.either(pair.remote_name, pair.remote_url)
	msg := sprintf("the site pair from %s to %s (%s) is %s%s%s", [lib.manager_name(site), name, lib.either(pair.remote_url, "url unknown"), lib.either(pair.status, "of unknown status"), _detail(pair), _pair_hint(site, pair, name)])
}

# The key `--attest` takes for a pair (and the collector writes in `errors`): its remote
# name, else its endpoint id (the vendor's reference answers without a name).
_pair_key(pair) := lib.either(pair.remote_name, pair.endpoint_id)

_pair_hint(site, pair, name) := sprintf(": if the Site Pairing page shows it connected, attest it: %s", [lib.attest_hint(site, sprintf("site_pairs.%s.status", [_pair_key(pair)]), "healthy")]) if {
	not object.get(pair, "status", null) in {"degraded", "unhealthy"}
}

_pair_hint(site, pair, name) := "" if object.get(pair, "status", null) in {"degraded", "unhealthy"}


violation contains lib.finding("site-pair-unhealthy", site.name, name, msg) if {
	some site in lib.sites
	some pair in lib.as_list(site.site_pairs)
	lib.healthy(object.get(pair, "status", null))
	lapse := lib.attestation_lapse(site, pair)
	name := lib.either(pair.remote_name, pair.remote_url)
	msg := sprintf("the site pair from %s to %s was %s as healthy, which no longer holds: %s; verify it again and attest it: %s", [
		lib.manager_name(site), name, lib.attested_by(pair), lapse,
		lib.attest_hint(site, sprintf("site_pairs.%s.status", [_pair_key(pair)]), "healthy"),
	])
}
