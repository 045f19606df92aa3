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

violation contains lib.with_evidence(lib.finding("connection-unhealthy", site.name, _resource(c), msg), ev) if {
	some i, site in lib.sites
	some j, c in lib.as_list(site.connections)
	c.status in {"degraded", "unhealthy"}
	msg := sprintf("%s reports its connection to %s as %s%s", [lib.manager_name(site), _conn_name(c), c.status, _detail(c)])
	ev := _conn_evidence(i, j)
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

# Each proposed command works when pasted (one value each): `healthy`, and for the
# connections that apply only if used, `not_in_use` beside it.
_hint(site, c) := sprintf("%s (or, if the site does not use %s: %s)", [
	lib.attest_hint(site, _status_fact(c), "healthy"),
	_kind_names[c.kind], lib.attest_hint(site, _status_fact(c), "not_in_use"),
]) if c.kind in _optional_kinds

_hint(site, c) := lib.attest_hint(site, _status_fact(c), "healthy") if not object.get(c, "kind", null) in _optional_kinds

_status_fact(c) := sprintf("connections.%s.status", [c.kind])

violation contains lib.with_evidence(lib.finding_with_severity("connection-unknown", site.name, _resource(c), msg, _unknown_severity(site)), ev) if {
	some i, site in lib.sites
	some j, c in lib.as_list(site.connections)
	not _settled(c)
	msg := sprintf("the health of %s's connection to %s could not be read%s: verify it on the appliance management dashboard, then attest it: %s", [lib.manager_name(site), _conn_name(c), _detail(c), _hint(site, c)])
	ev := _conn_evidence(i, j)
}

# vCenter is mandatory on every site: a list without it is not healthy.
violation contains lib.with_evidence(lib.finding_with_severity("connection-unknown", site.name, "vcenter", msg, _unknown_severity(site)), ev) if {
	some i, site in lib.sites
	is_array(site.connections)
	not _lists_vcenter(site)
	msg := sprintf("%s (site %s) lists no connection to vCenter Server, which HCX needs on every site: register it, or verify it on the appliance management dashboard and attest it: %s", [
		lib.manager_name(site), site.name, lib.attest_hint(site, "connections.vcenter.status", "healthy"),
	])
	ev := _kinds_evidence(i, site)
}

_lists_vcenter(site) if {
	some c in site.connections
	c.kind == "vcenter"
}

# An attested status that no longer holds is unknown again.
violation contains lib.with_evidence(lib.finding_with_severity("connection-unknown", site.name, _resource(c), msg, _unknown_severity(site)), ev) if {
	some i, site in lib.sites
	some j, c in lib.as_list(site.connections)
	_settled(c)
	lapse := lib.attestation_lapse(site, c)
	is_string(lapse)
	msg := sprintf("the status %s of %s's connection to %s was %s, which no longer holds: %s; verify it again and attest it: %s", [
		c.status, lib.manager_name(site), _conn_name(c), lib.attested_by(c), lapse, _hint(site, c),
	])
	ev := array.concat(_conn_evidence(i, j), _lapse_evidence)
}

violation contains lib.with_evidence(lib.finding_with_severity("connection-unknown", site.name, "connections", msg, _unknown_severity(site)), ev) if {
	some i, site in lib.sites
	site.connections == null
	msg := sprintf("the registered systems of %s could not be read (%s): verify vCenter, NSX, Cloud Director and RMQ connections on the appliance management dashboard, or attest them", [lib.manager_name(site), lib.why_missing(site.name, "connections")])
	ev := [lib.site_evidence(i, ["connections"])]
}

# Known bad: a Service Mesh whose manager reports a status other than healthy, or a failed state.
violation contains lib.with_evidence(lib.finding("interconnect-unhealthy", site.name, name, msg), ev) if {
	some i, site in lib.sites
	some m, mesh in lib.as_list(site.service_meshes)
	_mesh_bad(mesh)
	name := lib.either(mesh.name, mesh.id)
	msg := sprintf("Service Mesh %s is %s (state %s)%s", [name, lib.either(mesh.status, "of unknown status"), lib.either(mesh.state, "unknown"), _detail(mesh)])
	ev := _mesh_evidence(i, m)
}

_mesh_bad(mesh) if lib.known_bad(object.get(mesh, "status", null))

_mesh_bad(mesh) if contains(upper(mesh.state), "FAIL")

# Unknown (no status read, no failed state): say so, with the line that attests it.
violation contains lib.with_evidence(lib.unknown_fact(lib.finding("interconnect-unhealthy", site.name, name, msg)), ev) if {
	some i, site in lib.sites
	some m, mesh in lib.as_list(site.service_meshes)
	lib.status_unknown(object.get(mesh, "status", null))
	not _mesh_bad(mesh)
	name := lib.either(mesh.name, mesh.id)
	msg := sprintf("the status of Service Mesh %s at %s is unknown (state %s)%s: if Interconnect > Service Mesh shows it healthy, attest it: %s", [
		name, site.name, lib.either(mesh.state, "unknown"), _detail(mesh),
		lib.attest_hint(site, sprintf("service_meshes.%s.status", [name]), "healthy"),
	])
	ev := _mesh_evidence(i, m)
}

_mesh_evidence(i, m) := [lib.site_evidence(i, ["service_meshes", m, "status"]), lib.site_evidence(i, ["service_meshes", m, "state"])]

violation contains lib.with_evidence(lib.finding("interconnect-unhealthy", x.site, name, msg), ev) if {
	some x in lib.appliances
	lib.known_bad(object.get(x.appliance, "status", null))
	name := lib.appliance_name(x.mesh, x.appliance)
	msg := sprintf("appliance %s (%s) is %s%s", [name, lib.either(x.appliance.type, "type unknown"), x.appliance.status, _detail(x.appliance)])
	ev := [lib.field_evidence(x.at, x.appliance, "status"), lib.field_evidence(x.at, x.appliance, "type")]
}

violation contains lib.with_evidence(lib.unknown_fact(lib.finding("interconnect-unhealthy", x.site, name, msg)), ev) if {
	some x in lib.appliances
	lib.status_unknown(object.get(x.appliance, "status", null))
	name := lib.appliance_name(x.mesh, x.appliance)
	msg := sprintf("the status of appliance %s (%s) at %s is unknown%s: if Interconnect > Service Mesh > Appliances shows it healthy, attest it: %s", [
		name, lib.either(x.appliance.type, "type unknown"), x.site, _detail(x.appliance),
		lib.appliance_attest_hint(x, "status", "healthy"),
	])
	ev := [lib.field_evidence(x.at, x.appliance, "status"), lib.field_evidence(x.at, x.appliance, "type")]
}

violation contains lib.with_evidence(lib.finding("interconnect-unhealthy", x.site, name, msg), ev) if {
	some x in lib.appliances
	lib.tunnel_down(object.get(x.appliance, "tunnel_status", null))
	name := lib.appliance_name(x.mesh, x.appliance)
	msg := sprintf("the tunnel of appliance %s is %s", [name, x.appliance.tunnel_status])
	ev := [lib.field_evidence(x.at, x.appliance, "tunnel_status")]
}

violation contains lib.with_evidence(lib.unknown_fact(lib.finding("interconnect-unhealthy", x.site, name, msg)), ev) if {
	some x in lib.appliances
	lib.status_unknown(object.get(x.appliance, "tunnel_status", null))
	name := lib.appliance_name(x.mesh, x.appliance)
	msg := sprintf("the tunnel state of appliance %s at %s is unknown: if the appliance shows Tunnel Up, attest it: %s", [
		name, x.site, lib.appliance_attest_hint(x, "tunnel_status", "up"),
	])
	ev := [lib.field_evidence(x.at, x.appliance, "tunnel_status")]
}

violation contains lib.with_evidence(lib.finding("site-pair-unhealthy", site.name, name, msg), ev) if {
	some i, site in lib.sites
	some j, pair in lib.as_list(site.site_pairs)
	lib.known_bad(object.get(pair, "status", null))
	name := lib.either(pair.remote_name, pair.remote_url)
	msg := sprintf("the site pair from %s to %s (%s) is %s%s", [lib.manager_name(site), name, lib.either(pair.remote_url, "url unknown"), pair.status, _detail(pair)])
	ev := _pair_evidence(i, j)
}

violation contains lib.with_evidence(lib.unknown_fact(lib.finding("site-pair-unhealthy", site.name, name, msg)), ev) if {
	some i, site in lib.sites
	some j, pair in lib.as_list(site.site_pairs)
	lib.status_unknown(object.get(pair, "status", null))
	name := lib.either(pair.remote_name, pair.remote_url)
	msg := sprintf("the health of the site pair from %s to %s (%s) is unknown%s: if the Site Pairing page shows it connected, attest it: %s", [
		lib.manager_name(site), name, lib.either(pair.remote_url, "url unknown"), _detail(pair),
		lib.attest_hint(site, sprintf("site_pairs.%s.status", [_pair_key(pair)]), "healthy"),
	])
	ev := _pair_evidence(i, j)
}

# The key `--attest` takes for a pair (and the collector writes in `errors`): its remote
# name, else its endpoint id (the vendor's reference answers without a name).
_pair_key(pair) := lib.either(pair.remote_name, pair.endpoint_id)

violation contains lib.with_evidence(lib.finding("site-pair-unhealthy", site.name, name, msg), ev) if {
	some i, site in lib.sites
	some j, pair in lib.as_list(site.site_pairs)
	lib.healthy(object.get(pair, "status", null))
	lapse := lib.attestation_lapse(site, pair)
	is_string(lapse)
	name := lib.either(pair.remote_name, pair.remote_url)
	msg := sprintf("the site pair from %s to %s was %s as healthy, which no longer holds: %s; verify it again and attest it: %s", [
		lib.manager_name(site), name, lib.attested_by(pair), lapse,
		lib.attest_hint(site, sprintf("site_pairs.%s.status", [_pair_key(pair)]), "healthy"),
	])
	ev := array.concat(_pair_evidence(i, j), _lapse_evidence)
}

# The facts a connection finding rests on: its status, kind and URL.
_conn_evidence(i, j) := [lib.site_evidence(i, ["connections", j, k]) | some k in ["status", "kind", "url"]]

# The facts a site-pair finding rests on: its status and whom it pairs with.
_pair_evidence(i, j) := [lib.site_evidence(i, ["site_pairs", j, k]) | some k in ["status", "remote_name", "remote_url"]]

# An attestation that lapsed: the time and the age limit it was judged against.
_lapse_evidence := [lib.plan_evidence("evaluated_at"), lib.threshold_evidence("attestation_max_age_hours")]

# The kinds of the registered systems listed (the empty list itself when none is).
_kinds_evidence(i, site) := [lib.site_evidence(i, ["connections", j, "kind"]) | some j, _ in site.connections] if count(site.connections) > 0

_kinds_evidence(i, site) := [lib.site_evidence(i, ["connections"])] if count(site.connections) == 0

# An attested mesh, appliance or tunnel state that no longer holds is unknown again.
violation contains lib.with_evidence(lib.unknown_fact(lib.finding("interconnect-unhealthy", x.site, x.resource, msg)), [x.evidence]) if {
	some x in lib.lapsed_mesh_facts
	x.value in {"healthy", "up"}
	msg := sprintf("the %s %s of %s was %s, which no longer holds: %s; verify it again and attest it: %s", [
		x.field, x.value, x.resource, x.by, x.lapse, lib.attest_hint({"name": x.site}, x.fact, x.value),
	])
}
