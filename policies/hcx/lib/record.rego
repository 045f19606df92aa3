# What the decision record lists as assumed (hcx-preflight's `rests_on.attestations`):
# every attested fact of the snapshot (an object whose provenance is "attested"), where
# it sits (an RFC 6901 pointer into the snapshot), who stated it, and why it no longer
# holds (`lapse`, null while it holds) by the same attestation_lapse the rules apply.
# No rule reads it: it describes the decision, it does not change it.
package hcx.lib

attested_facts contains {
	"pointer": concat("/", array.concat(["", "sites", sprintf("%d", [i])], [sprintf("%v", [p]) | some p in path])),
	"site": site.name,
	"attested_at": object.get(x, "attested_at", null),
	"attested_by": object.get(x, "attested_by", null),
	"on_version": object.get(x, "attested_on_version", null),
	"evidence": object.get(x, "evidence", null),
	"lapse": _lapse_or_null(site, x),
} if {
	some i, site in input.snapshot.sites
	walk(site, [path, x])
	is_object(x)
	object.get(x, "provenance", null) == "attested"
}

_lapse_or_null(site, x) := attestation_lapse(site, x)

_lapse_or_null(site, x) := null if not attestation_lapse(site, x)
