# Helpers over the snapshot and the plan, shared by the built-in and the organisation rules.
#
# input.snapshot is the snapshot (contract section 1); input.plan is
# {target_version, phase, evaluated_at, fail_on}. Every fact may be null: rules
# that need one check for null and leave the verdict to `fact-missing`.
package hcx.lib

target := input.plan.target_version

phase := input.plan.phase

sites := input.snapshot.sites

# Evaluation time in nanoseconds since the epoch (fixed by --now).
now_ns := time.parse_rfc3339_ns(input.plan.evaluated_at)

# A threshold: the organisation's value (config) if set, else the built-in default.
threshold(name) := object.get(data.hcx.config.thresholds, name, data.hcx.params.thresholds[name])

# A raw finding, as every rule emits it; the catalog adds title, severity, kb and remediation.
finding(id, site, resource, message) := {"id": id, "site": site, "resource": resource, "message": message}

# The same with a severity other than the catalog's default (e.g. warn on provider-managed sites).
finding_with_severity(id, site, resource, message, severity) := object.union(
	finding(id, site, resource, message),
	{"severity": severity},
)

# A finding with the facts it rests on (see evidence.rego).
with_evidence(f, evidence) := object.union(f, {"evidence": evidence})

# "1 migration", "2 migrations": a count with its noun (plural with an s).
plural(n, noun) := sprintf("%d %s", [n, noun]) if n == 1

plural(n, noun) := sprintf("%d %ss", [n, noun]) if n != 1

# Every Service Mesh appliance with the names of its site and mesh, and its path (`at`).
# An array, not a set: each element is distinct by its path anyway, and regorus's
# compiled VM iterates an array by index but a set by a search per step (six times
# slower per rule over 4,000 appliances).
appliances := [{"site": site.name, "mesh": mesh, "appliance": appliance, "at": ["sites", i, "service_meshes", m, "appliances", a]} |
	some i, site in sites
	some m, mesh in as_list(site.service_meshes)
	some a, appliance in as_list(mesh.appliances)
]

# A list that may be null, as a list.
as_list(x) := x if is_array(x) else := []

# A readable name for a manager: its FQDN, else the site name.
manager_name(site) := site.manager.fqdn if is_string(object.get(site, ["manager", "fqdn"], null)) else := site.name

# A readable name for an appliance: "mesh/appliance".
appliance_name(mesh, appliance) := sprintf("%s/%s", [either(mesh.name, mesh.id), either(appliance.name, appliance.id)])

either(a, b) := a if a != null else := b if b != null else := "?"

# Parsed versions, computed once per evaluation (rules are cached, functions are not).
target_parts := version_parts(target)

# The manager's version parts, by site name (sites whose version is known).
manager_parts[site.name] := version_parts(site.manager.version) if {
	some site in sites
	is_string(site.manager.version)
}

# The lowest version at a site (its manager and its Service Mesh appliances), by site name.
lowest_parts[site.name] := min(parts) if {
	some site in sites
	parts := {version_parts(v) | some v in site_versions(site)}
	count(parts) > 0
}

# Every known version at a site: its manager and its Service Mesh appliances.
site_versions(site) := {v | v := site.manager.version; is_string(v)} | {v |
	some mesh in as_list(site.service_meshes)
	some appliance in as_list(mesh.appliances)
	v := appliance.version
	is_string(v)
}

# The manager of this site is below the target.
manager_below_target(site) if manager_parts[site.name] < target_parts

# The upgrade to the target crosses `boundary` at this site: something there is below it.
crosses(site, boundary) if {
	b := version_parts(boundary)
	target_parts >= b
	lowest_parts[site.name] < b
}

# The manager itself crosses `boundary` (for manager-only changes such as the database).
manager_crosses(site, boundary) if {
	b := version_parts(boundary)
	target_parts >= b
	manager_parts[site.name] < b
}

# Why a fact is null, from the snapshot's errors, for messages.
why_missing(site_name, fact) := concat("; ", reasons) if {
	reasons := [e.message |
		some e in input.snapshot.errors
		e.site == site_name
		_fact_covers(e.fact, fact)
	]
	count(reasons) > 0
}

why_missing(site_name, fact) := "no reason recorded in the snapshot's errors" if {
	not _has_reason(site_name, fact)
}

_has_reason(site_name, fact) if {
	some e in input.snapshot.errors
	e.site == site_name
	_fact_covers(e.fact, fact)
}

_fact_covers(recorded, fact) if recorded == fact

_fact_covers(recorded, fact) if startswith(fact, concat("", [recorded, "."]))

_fact_covers(recorded, fact) if startswith(recorded, concat("", [fact, "."]))

# A status other than "healthy" (null included) is not healthy.
healthy(status) if status == "healthy"

# A status read and not healthy (degraded, unhealthy, or any other word the manager gave).
known_bad(status) if {
	is_string(status)
	not status in {"healthy", "unknown", "up"}
}

# A status nobody could read: null, or the word unknown.
status_unknown(status) if status == null

status_unknown(status) if status == "unknown"

# A tunnel state read and not up.
tunnel_down(state) if known_bad(state)

# The `--attest` line for a field of an appliance of `appliances` (MESH and APPLIANCE:
# name, else id), e.g. source.service_meshes.mesh-1.appliances.IX-1.tunnel_status=up.
appliance_attest_hint(x, field, value) := attest_hint({"name": x.site}, appliance_fact(x.mesh, x.appliance, field), value)

# A finding about a fact that is unknown (not known bad): the catalog's
# `remediation_unknown` applies instead of its repair steps.
unknown_fact(f) := object.union(f, {"unknown": true})
