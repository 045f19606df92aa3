# Unit tests of the shared helpers (data.hcx.lib).
package hcx.lib_test

import data.hcx.lib
import data.hcx.testing as t

test_versions_compare_part_by_part if {
	lib.version_lt("4.9.9", "4.10.0")
	lib.version_gt("4.10.3", "4.10")
	lib.version_eq("9.0.0.0", "9.0")
	lib.version_le("4.4.0", "4.4")
	lib.version_ge("4.4.2", "4.4.0")
	not lib.version_lt("4.10.0", "4.9.9")
	lib.version_cmp("4.3", "4.3.0.0") == 0
	lib.version_parts("4.9") == [4, 9, 0, 0]
}

test_either_falls_back if {
	lib.either("a", "b") == "a"
	lib.either(null, "b") == "b"
	lib.either(null, null) == "?"
}

test_names if {
	lib.manager_name(t.base_site) == "hcx.corp.example"
	lib.manager_name(t.site({"manager": {"fqdn": null}})) == "source"
	lib.appliance_name({"name": null, "id": "sm-9"}, {"name": "IX", "id": "a"}) == "sm-9/IX"
}

# Appliance types as the manager prints them: suffixed types (HCX-WAN-IX-EDGE on 9.1.1
# EDGE-backed meshes) belong to the family of their prefix.
test_appliance_families_from_the_type_as_printed if {
	lib.appliance_of({"type": "HCX-WAN-IX"}, "interconnect")
	lib.appliance_of({"type": "HCX-WAN-IX-EDGE"}, "interconnect")
	lib.appliance_of({"type": "hcx-net-ext"}, "network_extension")
	lib.appliance_of({"type": "HCX-WAN-OPT"}, "wan_optimization")
	lib.appliance_of({"type": "HCX-SDR"}, "osam")
	count({f | some f, _ in data.hcx.params.appliance_types; lib.appliance_of({"type": "HCX-WAN-IX-EDGE"}, f)}) == 1
	count({f | some f, _ in data.hcx.params.appliance_types; lib.appliance_of({"type": null}, f)}) == 0
}

test_as_list if {
	lib.as_list(null) == []
	lib.as_list([1]) == [1]
}

test_healthy_only_when_healthy if {
	lib.healthy("healthy")
	# A list of mixed types: OPA's type checker refuses a literal null for a parameter compared with strings.
	every status in ["degraded", "unknown", null] {
		not lib.healthy(status)
	}
}

test_threshold_prefers_the_config if {
	lib.threshold("backup_max_age_hours") == 24 with data.hcx.config as t.config({})
	lib.threshold("backup_max_age_hours") == 6 with data.hcx.config as t.config({"thresholds": {"backup_max_age_hours": 6}})
}

test_why_missing_names_the_recorded_reason if {
	errors := [
		{"site": "source", "fact": "manager", "message": "API down"},
		{"site": "source", "fact": "backup.last_success_at", "message": "no backup API"},
		{"site": "cloud", "fact": "manager", "message": "other site"},
	]
	inp := object.union(t.managers([t.base_site]), {"snapshot": {"errors": errors}})
	lib.why_missing("source", "manager.version") == "API down" with input as inp
	lib.why_missing("source", "backup") == "no backup API" with input as inp
	lib.why_missing("source", "operations") == "no reason recorded in the snapshot's errors" with input as inp
}

test_crossing_a_boundary if {
	old := t.site({"manager": {"version": "4.3.2"}})
	lib.crosses(old, "4.4.0") with input as t.managers([old])
	lib.manager_crosses(old, "4.4.0") with input as t.managers([old])
	not lib.crosses(t.base_site, "4.4.0") with input as t.managers([t.base_site])
	not lib.crosses(old, "4.4.0") with input as input_for_target([old], "4.3.3")
}

input_for_target(sites, target) := t.input_for(sites, "managers", target)

test_attestations_lapse_with_age_time_and_upgrades if {
	site := t.base_site
	x := {"provenance": "attested", "attested_at": "2026-11-29T08:00:00Z", "attested_by": "ops", "attested_on_version": "4.10.3"}
	not lib.attestation_lapse(site, x) with input as t.managers([site])
	not lib.attestation_lapse(site, object.union(x, {"provenance": "collected", "attested_at": null})) with input as t.managers([site])
	contains(lib.attestation_lapse(site, object.union(x, {"attested_at": "2026-11-28T08:00:00Z"})), "25.1 hours before the evaluation, more than the allowed 24 hours") with input as t.managers([site])
	contains(lib.attestation_lapse(site, object.union(x, {"attested_at": "2026-11-28T08:00:00Z"})), "more than the allowed 1 hours") with input as t.managers([site])
		with data.hcx.config as t.config({"thresholds": {"attestation_max_age_hours": 1}})
	contains(lib.attestation_lapse(site, object.union(x, {"attested_at": "2026-11-29T10:00:00Z"})), "after the evaluation") with input as t.managers([site])
	contains(lib.attestation_lapse(site, object.union(x, {"attested_on_version": "4.9.0"})), "ran 4.9.0, and it now reports 4.10.3") with input as t.managers([site])
	lib.attested_by(x) == "attested by ops at 2026-11-29T08:00:00Z"
}
