# Helpers for the built-in Rego unit tests (and organisation tests): a small,
# healthy two-site estate that each test changes in one place.
#
# The base estate, judged for 4.11.0 in phase managers at 2026-11-29T09:05:00Z,
# raises only snapshot-recommended (once per site).
package hcx.testing

now := "2026-11-29T09:05:00Z"

base_site := {
	"name": "source",
	"role": "connector",
	"manager": {
		"fqdn": "hcx.corp.example",
		"version": "4.10.3",
		"build": "1",
		"provider_managed": false,
		"provider": null,
		"appliance_management_reachable": true,
		"dns": {"domain": "corp.example", "search_domains": ["corp.example"], "servers": ["10.0.0.2"]},
		"disk_common_used_percent": 40,
	},
	"backup": {"supported": true, "last_success_at": "2026-11-29T02:00:00Z", "provenance": "collected", "evidence": null},
	"connections": [{"kind": "vcenter", "url": "https://vc.corp.example", "version": "8.0.3", "status": "healthy", "message": null}],
	"site_pairs": [{
		"endpoint_id": "e-1", "remote_name": "cloud", "remote_url": "https://cloud.example",
		"remote_version": "4.10.3", "remote_build": "1", "status": "healthy", "message": null,
	}],
	"service_meshes": [{
		"id": "sm-1", "name": "mesh", "state": "COMMITTED", "status": "healthy", "backing": "EDGE",
		"update_available": false, "services": ["INTERCONNECT"],
		"appliances": [{
			"id": "a-1", "name": "IX", "type": "HCX-WAN-IX", "version": "4.10.3",
			"status": "healthy", "tunnel_status": "up", "update_available": false,
		}],
	}],
	"updates": {"available": [{"version": "4.11.0", "build": "2", "downloaded": false}]},
	"operations": {"active_migrations": 0, "active_replications": 0},
}

# The base site with `changes` merged in (objects merge deeply; lists are replaced).
site(changes) := object.union(base_site, changes)

# The cloud side of the pair, as healthy as the source.
cloud(changes) := object.union(
	object.union(base_site, {"name": "cloud", "role": "cloud", "manager": {"fqdn": "cloud.example"}}),
	changes,
)

# The input document for `sites` judged in `phase` for `target`.
input_for(sites, phase, target) := {
	"plan": {"target_version": target, "phase": phase, "evaluated_at": now, "fail_on": "deny"},
	"snapshot": {
		"schema_version": 1,
		"collected_at": "2026-11-29T09:00:00Z",
		"collector": {"name": "hcx-preflight", "version": "0.1.0"},
		"sites": sites,
		"errors": [],
	},
}

# The base plan (4.11.0, phase managers) for a list of sites.
managers(sites) := input_for(sites, "managers", "4.11.0")

# The organisation config with `changes` (thresholds, severity, disabled, waivers).
config(changes) := object.union({"thresholds": {}, "severity": {}, "disabled": [], "waivers": []}, changes)

# The raw findings of rule `id` among `violations`.
of(violations, id) := [v | some v in violations; v.id == id]

# The only element of a set or array (undefined unless there is exactly one).
one(xs) := x if {
	count(xs) == 1
	some x in xs
}

# The ids among `violations`.
ids(violations) := {v.id | some v in violations}
