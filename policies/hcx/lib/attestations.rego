# Attested facts (a backup; a connection's, a site pair's, a mesh's or an appliance's
# status; a tunnel's state): an operator's statement speaks for the estate at its time
# only (contract section 1). It no longer
# holds when it carries no time, is dated after the evaluation, is older than the
# threshold attestation_max_age_hours, or was made while the manager ran another version
# (it was upgraded since). Rules then read the fact as unknown and say how to attest again.
package hcx.lib

_ns_per_hour := 3600000000000

# Why an attested fact no longer holds, or undefined while it holds (or is not attested).
#
# Callers write `lapse := attestation_lapse(site, x); is_string(lapse)`. In Rego the
# second line changes nothing (an undefined call already ends the body), but regorus
# 0.14.1's compiled VM goes on past an undefined assignment: it keeps an undefined
# element in an array comprehension (and so dropped findings) and computes the rest of
# the body, messages and evidence included, before it fails. The guard stops it there.
attestation_lapse(site, x) := concat("; ", reasons) if {
	object.get(x, "provenance", null) == "attested"
	reasons := [r |
		some check in ["unstamped", "future", "age", "upgraded"]
		r := _lapse(check, site, x)
		is_string(r) # see above: no undefined element under the RVM
	]
	count(reasons) > 0
}

_lapse("unstamped", _, x) := "it carries no attestation time (attested_at)" if {
	not is_string(object.get(x, "attested_at", null))
}

_lapse("future", _, x) := sprintf("it is dated %s, after the evaluation at %s", [x.attested_at, input.plan.evaluated_at]) if {
	is_string(object.get(x, "attested_at", null))
	time.parse_rfc3339_ns(x.attested_at) > now_ns
}

_lapse("age", _, x) := msg if {
	is_string(object.get(x, "attested_at", null))
	max_hours := threshold("attestation_max_age_hours")
	age := now_ns - time.parse_rfc3339_ns(x.attested_at)
	age > max_hours * _ns_per_hour
	msg := sprintf("it was made at %s, %v hours before the evaluation, more than the allowed %v hours (threshold attestation_max_age_hours)", [
		x.attested_at, round((age * 10) / _ns_per_hour) / 10, max_hours,
	])
}

_lapse("upgraded", site, x) := msg if {
	stated := object.get(x, "attested_on_version", null)
	is_string(stated)
	current := object.get(site, ["manager", "version"], null)
	is_string(current)
	not version_eq(stated, current)
	msg := sprintf("it was made while the manager ran %s, and it now reports %s (upgraded since)", [stated, current])
}

# Who stated an attested fact, and when, for messages.
attested_by(x) := sprintf("attested by %s at %s", [
	object.get(x, "attested_by", "an unnamed operator"),
	object.get(x, "attested_at", "an unknown time"),
])

# The command-line option that attests a fact of a site: real site and peer names, quoted
# for the shell (single quotes; a quote inside is closed, escaped and reopened) so that it
# works when pasted. The Rust side is collect::facts::attest_line; a test checks that a
# shell reads both as the same words.
attest_hint(site, fact, values) := sprintf("--attest %s", [_shell_quote(sprintf("%s.%s=%s;evidence=WHAT SHOWS IT", [site.name, fact, values]))])

_shell_quote(word) := concat("", ["'", replace(word, "'", `'\''`), "'"])

# Fact names as `--attest` takes them and the collector writes them in `errors`
# (one spelling everywhere): a mesh or an appliance by its name, else its id.
mesh_fact(mesh, field) := sprintf("service_meshes.%s.%s", [_key(mesh), field])

appliance_fact(mesh, appliance, field) := sprintf("service_meshes.%s.appliances.%s.%s", [_key(mesh), _key(appliance), field])

_key(x) := either(object.get(x, "name", null), object.get(x, "id", null))

# Attested fields of a mesh or an appliance (`status`, `tunnel_status`) that no longer
# hold, with the fact's name and the value that was attested.
lapsed_mesh_facts contains {"site": site.name, "resource": name, "fact": fact, "field": field, "by": attested_by(a), "lapse": lapse, "value": value, "evidence": field_evidence(["sites", i, "service_meshes", m], mesh, field)} if {
	some i, site in sites
	some m, mesh in as_list(site.service_meshes)
	some field, a in object.get(mesh, "attested", {})
	lapse := attestation_lapse(site, a)
	is_string(lapse)
	value := object.get(mesh, field, null)
	name := either(object.get(mesh, "name", null), object.get(mesh, "id", null))
	fact := mesh_fact(mesh, field)
}

lapsed_mesh_facts contains {"site": site.name, "resource": name, "fact": fact, "field": field, "by": attested_by(a), "lapse": lapse, "value": value, "evidence": field_evidence(["sites", i, "service_meshes", m, "appliances", k], appliance, field)} if {
	some i, site in sites
	some m, mesh in as_list(site.service_meshes)
	some k, appliance in as_list(mesh.appliances)
	some field, a in object.get(appliance, "attested", {})
	lapse := attestation_lapse(site, a)
	is_string(lapse)
	value := object.get(appliance, field, null)
	name := appliance_name(mesh, appliance)
	fact := appliance_fact(mesh, appliance, field)
}
