# What the decision record lists as assumed (hcx-preflight's `rests_on.attestations`):
# for each attested fact that hcx-preflight finds in the snapshot (an object whose
# provenance is "attested", listed in input.attested as {"site": INDEX, "pointer":
# RFC 6901, "fact": OBJECT}), why it no longer holds (`lapse`, null while it holds), by
# the same attestation_lapse the rules apply. No rule reads it: it describes the
# decision, it does not change it. Without input.attested it is empty.
package hcx.lib

attested_facts contains {"pointer": c.pointer, "lapse": _lapse_or_null(input.snapshot.sites[c.site], c.fact)} if {
	some c in object.get(input, "attested", [])
}

_lapse_or_null(site, x) := attestation_lapse(site, x)

_lapse_or_null(site, x) := null if not attestation_lapse(site, x)
