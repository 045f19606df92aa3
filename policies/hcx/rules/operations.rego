# The state of the estate at the moment of the upgrade: work in flight, disk
# space on /common, and the age of the snapshot itself.
package hcx.rules.operations

import data.hcx.lib

violation contains lib.with_evidence(lib.finding("active-operations", site.name, lib.manager_name(site), msg), ev) if {
	lib.phase == "managers"
	some i, site in lib.sites
	ops := site.operations
	is_number(ops.active_migrations)
	is_number(ops.active_replications)
	ops.active_migrations + ops.active_replications > 0
	msg := sprintf("%s has %s and %s in flight: let them finish or pause them before upgrading", [
		lib.manager_name(site), lib.plural(ops.active_migrations, "migration"), lib.plural(ops.active_replications, "replication"),
	])
	ev := [lib.site_evidence(i, ["operations", k]) | some k in ["active_migrations", "active_replications"]]
}

# Phase service-mesh: migrations run over IX and extended networks over NE, so the
# appliance upgrade may wait for them (a known count counts; unknown is fact-missing's).
violation contains lib.with_evidence(lib.finding("active-operations", site.name, lib.manager_name(site), msg), ev) if {
	lib.phase == "service-mesh"
	some i, site in lib.sites
	ops := site.operations
	_count(ops, "active_migrations") + _count(ops, "active_replications") + _count(ops, "extended_networks") > 0
	msg := sprintf("%s has %s and %s in flight (they run over IX) and %s extended over NE: the Service Mesh appliance upgrade may wait for them, in a separate window; let the migrations finish, and expect a brief interruption of extended networks while the NE appliances are redeployed", [
		lib.manager_name(site), lib.plural(_count(ops, "active_migrations"), "migration"), lib.plural(_count(ops, "active_replications"), "replication"),
		lib.plural(_count(ops, "extended_networks"), "network"),
	])
	ev := [lib.site_evidence(i, ["operations", k]) | some k in ["active_migrations", "active_replications", "extended_networks"]; is_number(ops[k])]
}

_count(ops, key) := ops[key] if is_number(ops[key])

_count(ops, key) := 0 if not is_number(object.get(_object(ops), key, null))

_object(x) := x if is_object(x)

_object(x) := {} if not is_object(x)

violation contains lib.with_evidence(lib.finding("disk-space", site.name, lib.manager_name(site), msg), ev) if {
	lib.phase == "managers"
	some i, site in lib.sites
	used := site.manager.disk_common_used_percent
	is_number(used)
	limit := lib.threshold("disk_common_max_percent")
	used > limit
	msg := sprintf("/common on %s is %v%% full, over the allowed %v%%: free space before upgrading", [lib.manager_name(site), used, limit])
	ev := [lib.site_evidence(i, ["manager", "disk_common_used_percent"]), lib.threshold_evidence("disk_common_max_percent")]
}

_ns_per_minute := 60000000000

violation contains lib.with_evidence(lib.finding("snapshot-stale", null, input.snapshot.collected_at, msg), ev) if {
	max_minutes := lib.threshold("snapshot_max_age_minutes")
	age := lib.now_ns - time.parse_rfc3339_ns(input.snapshot.collected_at)
	age > max_minutes * _ns_per_minute
	msg := sprintf("the snapshot was collected at %s, %v minutes before the evaluation at %s, more than the allowed %v minutes: collect again", [
		input.snapshot.collected_at, round(age / _ns_per_minute), input.plan.evaluated_at, max_minutes,
	])
	ev := [lib.evidence_at(["collected_at"]), lib.plan_evidence("evaluated_at"), lib.threshold_evidence("snapshot_max_age_minutes")]
}
