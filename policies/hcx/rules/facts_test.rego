# Unit tests of fact-missing: unknown facts fail closed.
package hcx.rules.facts_test

import data.hcx.rules.facts
import data.hcx.testing as t

_resources(inp) := r if {
	r := {f.resource | some f in facts.violation} with input as inp
}

test_no_missing_facts_in_the_base_estate if {
	count(facts.violation) == 0 with input as t.managers([t.base_site, t.cloud({})])
}

test_a_missing_version_denies_with_the_recorded_reason if {
	s := t.site({"manager": {"version": null}})
	inp := object.union(t.managers([s]), {"snapshot": {"errors": [{"site": "source", "fact": "manager", "message": "HTTP 503"}]}})
	f := t.one(facts.violation) with input as inp
	f.resource == "sites[source].manager.version"
	contains(f.message, "(HTTP 503)")
	f.severity == "deny"
}

test_appliance_management_facts_only_warn_on_provider_managed_sites if {
	s := t.site({"manager": {"disk_common_used_percent": null, "provider_managed": true, "provider": "vmc-aws"}})
	f := t.one(facts.violation) with input as t.managers([s])
	f.resource == "sites[source].manager.disk_common_used_percent"
	f.severity == "warn"
	contains(f.message, "no reason recorded")
}

test_appliance_management_facts_deny_elsewhere if {
	s := t.site({"manager": {"disk_common_used_percent": null}})
	f := t.one(facts.violation) with input as t.managers([s])
	f.severity == "deny"
}

test_operations_are_not_needed_after_the_upgrade if {
	s := t.site({"operations": {"active_migrations": null}})
	_resources(t.managers([s])) == {"sites[source].operations.active_migrations"}
	count(facts.violation) == 0 with input as t.input_for([s], "verify", "4.11.0")
}

test_unknown_backup_state if {
	s := t.site({"backup": {"supported": null}})
	_resources(t.managers([s])) == {"sites[source].backup.supported"}
	p := object.union(s, {"manager": {"provider_managed": true}})
	count(facts.violation) == 0 with input as t.managers([p])
}

test_unknown_appliances_of_a_mesh if {
	s := t.site({"service_meshes": [{"id": "sm-1", "name": null, "status": "healthy", "appliances": null}]})
	_resources(t.managers([s])) == {"sites[source].service_meshes.sm-1.appliances"}
}

# The reason the collector recorded for this mesh's appliances (same dotted spelling) is
# quoted; another mesh's reason is not.
test_unknown_appliances_quote_their_recorded_reason if {
	s := t.site({"service_meshes": [{"id": "sm-1", "name": "mesh-east", "status": "healthy", "appliances": null}]})
	errors := [
		{"site": "source", "fact": "service_meshes.mesh-east.appliances", "message": "POST /hybridity/api/interconnect/appliances/query: HTTP 500"},
		{"site": "source", "fact": "service_meshes.mesh-west.appliances", "message": "HTTP 404"},
	]
	f := t.one(facts.violation) with input as object.union(t.managers([s]), {"snapshot": {"errors": errors}})
	f.resource == "sites[source].service_meshes.mesh-east.appliances"
	contains(f.message, "(POST /hybridity/api/interconnect/appliances/query: HTTP 500)")
	not contains(f.message, "no reason recorded")
	not contains(f.message, "404")
}

test_names_for_kb90082_only_across_the_photon_boundary if {
	s := t.site({"manager": {"version": "4.3.2", "fqdn": null, "dns": null}})
	_resources(t.managers([s])) == {"sites[source].manager.fqdn", "sites[source].manager.dns"}
	n := t.site({"manager": {"fqdn": null, "dns": null}})
	count(facts.violation) == 0 with input as t.managers([n])
}
