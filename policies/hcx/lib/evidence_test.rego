# Unit tests of the evidence helpers (lib/evidence.rego).
package hcx.lib.evidence_test

import data.hcx.lib
import data.hcx.testing as t

test_pointers_escape_tilde_and_slash if {
	lib.pointer(["sites", 0, "a/b", "c~d"]) == "/sites/0/a~1b/c~0d"
	lib.pointer([]) == ""
}

test_values_at_any_depth_and_null_where_absent if {
	inp := t.managers([t.base_site])
	lib.value_at(["collected_at"]) == "2026-11-29T09:00:00Z" with input as inp
	lib.value_at(["sites", 0, "service_meshes", 0, "appliances", 0, "tunnel_status"]) == "up" with input as inp
	lib.value_at(["sites", 0, "manager", "provider"]) == null with input as inp
	lib.value_at(["sites", 5, "manager"]) == null with input as inp
	lib.value_at(["sites", 0, "manager", "version", "x"]) == null with input as inp
	lib.evidence_at([]) == {"pointer": "", "value": inp.snapshot} with input as inp
	lib.value_at(["sites", 0, "manager", "dns", "search_domains", 0, "x", "y"]) == null with input as inp
}

test_missing_facts_point_at_the_first_null_part if {
	inp := t.managers([t.site({"operations": null})])
	lib.missing_evidence(["sites", 0, "operations", "active_migrations"]) == {"pointer": "/sites/0/operations", "value": null} with input as inp
	lib.missing_evidence(["sites", 0, "manager", "provider"]) == {"pointer": "/sites/0/manager/provider", "value": null} with input as inp
}

test_params_and_thresholds if {
	lib.threshold_evidence("backup_max_age_hours") == {"param": "thresholds.backup_max_age_hours", "value": 24} with input as t.managers([t.base_site])
	lib.plan_evidence("target_version") == {"param": "plan.target_version", "value": "4.11.0"} with input as t.managers([t.base_site])
}

# An attested fact carries the snapshot's record for it: the latest for that site and fact.
test_attested_facts_carry_their_attestation if {
	pair := object.union(t.base_site.site_pairs[0], {"provenance": "attested"})
	inp := object.union(t.managers([t.site({"site_pairs": [pair]})]), {"snapshot": {"attestations": [
		{"site": "source", "fact": "site_pairs.cloud.status", "value": "healthy", "by": "a", "evidence": "old", "attested_at": "2026-11-28T08:00:00Z"},
		{"site": "source", "fact": "site_pairs.cloud.status", "value": "healthy", "by": "ops", "evidence": "Site Pairing page", "attested_at": "2026-11-29T08:00:00Z"},
		{"site": "cloud", "fact": "backup.last_success_at", "value": "x", "by": "b", "evidence": "other site"},
	]}})
	lib.site_evidence(0, ["site_pairs", 0, "status"]) == {
		"pointer": "/sites/0/site_pairs/0/status", "value": "healthy",
		"attestation": {"attested_by": "ops", "attested_at": "2026-11-29T08:00:00Z", "evidence": "Site Pairing page"},
	} with input as inp
	lib.site_evidence(0, ["site_pairs", 0, "remote_url"]) == {"pointer": "/sites/0/site_pairs/0/remote_url", "value": "https://cloud.example"} with input as inp
	lib.site_evidence(0, ["backup", "last_success_at"]) == {"pointer": "/sites/0/backup/last_success_at", "value": "2026-11-29T02:00:00Z"} with input as inp
}

test_fact_names_of_list_items if {
	inp := t.managers([t.base_site])
	lib._fact_part(["sites", 0, "connections", 0, "status"], 3) == "vcenter" with input as inp
	lib._fact_part(["sites", 0, "service_meshes", 0, "appliances", 0, "status"], 5) == "IX" with input as inp
	lib._fact_part(["sites", 0, "service_meshes", 0, "appliances", 0, "status"], 3) == "mesh" with input as inp
}

test_attested_facts_without_a_record_carry_their_stamp if {
	backup := object.union(t.base_site.backup, {"provenance": "attested", "evidence": "job 4711", "attested_by": "ops", "attested_at": "2026-11-29T08:00:00Z"})
	inp := t.managers([t.site({"backup": backup})])
	lib.site_evidence(0, ["backup", "last_success_at"]).attestation == {"attested_by": "ops", "attested_at": "2026-11-29T08:00:00Z", "evidence": "job 4711"} with input as inp
	not lib.site_evidence(0, ["backup", "provenance"]).attestation with input as inp
}
