# Unit tests of photon-mesh-upgrade, kb90082-local-fqdn and kb87041-upgrade-reversal.
package hcx.rules.boundaries_test

import data.hcx.rules.boundaries
import data.hcx.testing as t

_old := t.site({
	"manager": {"version": "4.3.2"},
	"service_meshes": [object.union(t.base_site.service_meshes[0], {"appliances": [
		object.union(t.base_site.service_meshes[0].appliances[0], {"version": "4.3.2"}),
		{"id": "a-2", "name": "NE", "type": "HCX-NET-EXT", "version": null, "status": "healthy", "tunnel_status": "up"},
	]})],
})

test_no_boundary_no_advisory if {
	count(boundaries.violation) == 0 with input as t.managers([t.base_site])
}

test_photon_mesh_upgrade_lists_the_appliances if {
	[f] := t.of(boundaries.violation, "photon-mesh-upgrade") with input as t.managers([_old])
	contains(f.message, "all 2 Service Mesh appliances")
	contains(f.message, "mesh/IX (4.3.2)")
	contains(f.message, "mesh/NE (version unknown)")
}

test_photon_mesh_upgrade_without_meshes if {
	s := object.union(_old, {"service_meshes": []})
	[f] := t.of(boundaries.violation, "photon-mesh-upgrade") with input as t.managers([s])
	contains(f.message, "none listed in the snapshot")
}

test_photon_boundary_crossed_by_an_appliance_alone if {
	s := object.union(_old, {"manager": {"version": "4.4.2"}})
	count(t.of(boundaries.violation, "photon-mesh-upgrade")) == 1 with input as t.managers([s])
}

test_local_names_across_the_photon_boundary if {
	s := object.union(_old, {
		"manager": {"fqdn": "hcx.corp.local", "dns": {"domain": "LOCAL.", "search_domains": ["corp.example"]}},
		"connections": [{"kind": "vcenter", "url": "https://vc.corp.local:443/sdk", "status": "healthy"}],
		"site_pairs": [{"remote_name": "cloud", "remote_url": "admin@cloud.local:443", "remote_version": "4.3.2", "status": "healthy"}],
	})
	fs := t.of(boundaries.violation, "kb90082-local-fqdn") with input as t.managers([s])
	{f.resource | some f in fs} == {"hcx.corp.local", "local", "vc.corp.local", "cloud.local"}
	[vc] := [x | some x in fs; x.resource == "vc.corp.local"]
	vc.evidence == [{"pointer": "/sites/0/connections/0/url", "value": "https://vc.corp.local:443/sdk"}]
	contains(vc.message, "vc.corp.local is in the .local domain (source: URL of the vcenter connection)")
}

# One finding per distinct name (case-insensitive), listing every place it appears.
test_a_local_name_at_two_sites_is_one_finding if {
	s := object.union(_old, {"manager": {"fqdn": "hcx.corp.local", "dns": {"domain": "corp.local", "search_domains": ["CORP.LOCAL"]}}})
	c := object.union(s, {"name": "cloud", "role": "cloud", "manager": {"fqdn": "cloud.corp.example", "dns": {"domain": "corp.local", "search_domains": []}}})
	fs := t.of(boundaries.violation, "kb90082-local-fqdn") with input as t.managers([s, c])
	[f] := [x | some x in fs; x.resource == "corp.local"]
	f.site == null
	contains(f.message, "corp.local is in the .local domain (cloud: DNS domain; source: DNS domain; source: DNS search domain)")
	[e.pointer | some e in f.evidence] == ["/sites/0/manager/dns/domain", "/sites/0/manager/dns/search_domains/0", "/sites/1/manager/dns/domain"]
	[h] := [x | some x in fs; x.resource == "hcx.corp.local"]
	h.site == "source"
	count(fs) == 2
}

test_local_names_without_the_boundary_are_fine if {
	s := t.site({"manager": {"fqdn": "hcx.corp.local"}})
	not "kb90082-local-fqdn" in t.ids(boundaries.violation) with input as t.managers([s])
}

test_upgrade_reversal_from_below_4_3 if {
	s := object.union(_old, {"manager": {"version": "4.2.1"}})
	[f] := t.of(boundaries.violation, "kb87041-upgrade-reversal") with input as t.managers([s])
	contains(f.message, "from 4.2.1 across 4.3.0")
}

test_no_upgrade_reversal_from_4_3 if {
	not "kb87041-upgrade-reversal" in t.ids(boundaries.violation) with input as t.managers([_old])
}
