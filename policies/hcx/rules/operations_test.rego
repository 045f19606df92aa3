# Unit tests of active-operations, disk-space and snapshot-stale.
package hcx.rules.operations_test

import data.hcx.rules.operations
import data.hcx.testing as t

test_a_quiet_estate if {
	count(operations.violation) == 0 with input as t.managers([t.base_site])
}

test_migrations_in_flight if {
	s := t.site({"operations": {"active_migrations": 2, "active_replications": 1}})
	f := t.one(operations.violation) with input as t.managers([s])
	f.id == "active-operations"
	contains(f.message, "2 migrations and 1 replication in flight")
	f.evidence == [
		{"pointer": "/sites/0/operations/active_migrations", "value": 2},
		{"pointer": "/sites/0/operations/active_replications", "value": 1},
	]
	count(operations.violation) == 0 with input as t.input_for([s], "verify", "4.11.0")
}

test_unknown_operations_are_left_to_fact_missing if {
	s := t.site({"operations": {"active_migrations": null, "active_replications": 3}})
	count(operations.violation) == 0 with input as t.managers([s])
}

test_common_nearly_full if {
	s := t.site({"manager": {"disk_common_used_percent": 93.5}})
	f := t.one(operations.violation) with input as t.managers([s])
	f.id == "disk-space"
	contains(f.message, "93.5% full, over the allowed 90%")
}

test_disk_threshold_comes_from_the_config if {
	count(operations.violation) == 1 with input as t.managers([t.base_site])
		with data.hcx.config as t.config({"thresholds": {"disk_common_max_percent": 30}})
}

test_a_stale_snapshot if {
	inp := object.union(t.managers([t.base_site]), {"snapshot": {"collected_at": "2026-11-29T06:05:00Z"}})
	f := t.one(operations.violation) with input as inp
	f.id == "snapshot-stale"
	f.site == null
	contains(f.message, "180 minutes before the evaluation")
	f.evidence == [
		{"pointer": "/collected_at", "value": "2026-11-29T06:05:00Z"},
		{"param": "plan.evaluated_at", "value": "2026-11-29T09:05:00Z"},
		{"param": "thresholds.snapshot_max_age_minutes", "value": 60},
	]
}

test_mesh_phase_counts_extended_networks if {
	s := t.site({"operations": {"active_migrations": 1, "active_replications": null, "extended_networks": 4}})
	f := t.one(operations.violation) with input as t.input_for([s], "service-mesh", "4.10.3")
	f.id == "active-operations"
	contains(f.message, "1 migration and 0 replications in flight (they run over IX) and 4 networks extended over NE")
	count(operations.violation) == 0 with input as t.input_for([t.site({"operations": null})], "service-mesh", "4.10.3")
	count(operations.violation) == 0 with input as t.input_for([s], "verify-mesh", "4.10.3")
}
