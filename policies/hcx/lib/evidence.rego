# Evidence for findings (contract section 4): the facts a rule read, as RFC 6901
# pointers into the snapshot as judged (`input.snapshot`, after attestations were applied)
# with their values, and, for an attested fact, who stated it, when and on what evidence.
# Inputs that are not snapshot facts (the plan, thresholds, path table rows) are given as
# `{"param": NAME, "value": V}`. Org rules use the same helpers:
#
#   "evidence": [lib.evidence_at(["sites", i, "backup", "last_success_at"]), lib.threshold_evidence("backup_max_age_hours")]
package hcx.lib

# The RFC 6901 pointer of a path (strings and array indices): "~" -> "~0", "/" -> "~1".
pointer(path) := concat("/", array.concat([""], [_token(p) | some p in path]))

_token(p) := replace(replace(p, "~", "~0"), "/", "~1") if is_string(p) else := sprintf("%d", [p]) if is_number(p)

# One evidence item: the value at `path` in the snapshot, with its attestation if attested.
evidence_at(path) := {"pointer": "", "value": input.snapshot} if count(path) == 0

evidence_at(path) := field_evidence(at, value_at(at), path[count(path) - 1]) if {
	count(path) > 0
	at := array.slice(path, 0, count(path) - 1)
}

# The same where the rule holds the object already: `field` of `obj`, found at `at`
# (cheaper: nothing is looked up again), e.g. field_evidence(x.at, x.appliance, "status").
field_evidence(at, obj, field) := object.union(
	{"pointer": pointer(array.concat(at, [field])), "value": _get(obj, field)},
	_attestation_part(at, obj, field),
)

# The same for a path under site number `i`: site_evidence(0, ["manager", "version"]).
site_evidence(i, rest) := evidence_at(array.concat(["sites", i], rest))

# A fact that is missing: the pointer of the first part of `path` that is null (a missing
# section is named as the section, since its fields do not exist in the snapshot).
missing_evidence(path) := evidence_at(array.slice(path, 0, first)) if {
	first := min([k | some k in numbers.range(1, count(path)); value_at(array.slice(path, 0, k)) == null])
}

# An input that is not a snapshot fact: a plan field, a threshold, a path table row.
param_evidence(name, value) := {"param": name, "value": value}

threshold_evidence(name) := param_evidence(sprintf("thresholds.%s", [name]), threshold(name))

plan_evidence(name) := param_evidence(sprintf("plan.%s", [name]), input.plan[name])

# The value at `path` in the snapshot (null where it is absent). object.get walks
# objects and arrays alike (an index out of range, or a step through a scalar or null,
# gives the default), in OPA and in regorus: one builtin call instead of one function
# per level.
value_at(path) := object.get(input.snapshot, path, null)

# `k` of `x`, null where it is absent; `x` may be any value (wrapped so that object.get
# accepts it).
_get(x, k) := object.get({"x": x}, ["x", k], null)

# The attestation of `field` of the object at `at` (["sites", i, ...]): the snapshot's
# record for that site and fact name (the dotted name --attest takes: list items by their
# name), the latest if several; without one (snapshots written before records were kept),
# the stamp on the object, for the fields an attestation states.
_attestation_part(at, obj, field) := {"attestation": {
	"attested_by": r.by,
	"attested_at": object.get(r, "attested_at", null),
	"evidence": r.evidence,
}} if {
	_records_of[at[1]]
	r := _record(array.concat(at, [field]))
	is_object(r) # no undefined past here under the RVM (see attestation_lapse)
} else := {"attestation": {
	"attested_by": object.get(obj, "attested_by", null),
	"attested_at": object.get(obj, "attested_at", null),
	"evidence": object.get(obj, "evidence", null),
}} if {
	_stamped(obj, field)
} else := {}

_attestable := {"status", "tunnel_status", "ha_group", "last_success_at", "supported"}

_stamped(obj, field) if {
	field in _attestable
	is_object(obj)
	obj.provenance == "attested"
}

# The attestation records by site index (computed once; most snapshots have none).
_records_of[i] := records if {
	some i, site in input.snapshot.sites
	records := [r | some r in as_list(object.get(input.snapshot, "attestations", [])); r.site == site.name]
	count(records) > 0
}

_record(path) := records[count(records) - 1] if {
	count(path) > 3
	path[0] == "sites"
	candidates := _records_of[path[1]]
	fact := lower(concat(".", [_fact_part(path, k) | some k in numbers.range(2, count(path) - 1)]))
	records := [r | some r in candidates; lower(r.fact) == fact]
	count(records) > 0
}

_fact_part(path, k) := path[k] if is_string(path[k])

_fact_part(path, k) := _item_name(path[k - 1], value_at(array.slice(path, 0, k + 1))) if is_number(path[k])

_item_name("connections", c) := sprintf("%v", [c.kind])

_item_name("site_pairs", p) := sprintf("%v", [either(object.get(p, "remote_name", null), object.get(p, "endpoint_id", null))])

_item_name(section, x) := sprintf("%v", [either(object.get(x, "name", null), object.get(x, "id", null))]) if {
	section in {"service_meshes", "appliances"}
}
