# Unit tests of target-not-newer, target-not-offered, upgrade-path-unsupported,
# upgrade-path-unverified, managers-first, version-skew and version-not-updated.
package hcx.rules.versions_test

import data.hcx.rules.versions
import data.hcx.testing as t

_on(v) := t.site({"manager": {"version": v}, "site_pairs": [object.union(t.base_site.site_pairs[0], {"remote_version": v})]})

# The built-in path table vouches for no 4.11 target; these tests add the row an
# organisation would add, so that only the rule under test fires.
_table := object.union(data.hcx.params.upgrade_path_table, {"org-4.11": {"from_at_least": "4.10.0", "to_at_least": "4.11.0", "to_below": "4.12.0", "direct": true}})

test_a_normal_upgrade if {
	count(versions.violation) == 0 with input as t.managers([t.base_site, t.cloud({})]) with data.hcx.params.upgrade_path_table as _table
}

test_a_path_not_verified_by_the_data if {
	f := t.one(versions.violation) with input as t.managers([t.base_site])
	f.id == "upgrade-path-unverified"
	contains(f.message, "4.10.3 -> 4.11.0")
	contains(f.message, "not verified by the data")
	count(versions.violation) == 0 with input as t.managers([t.base_site]) with data.hcx.params.upgrade_path_table as _table
	count(versions.violation) == 0 with input as t.input_for([t.base_site], "service-mesh", "4.10.3")
	g := t.of(versions.violation, "upgrade-path-unverified") with input as t.input_for([t.base_site], "managers", "4.10.3")
	count(g) == 0
}

test_a_sourced_4_9_row_verifies_the_path if {
	s := object.union(_on("4.8.0"), {"updates": {"available": null}})
	count(versions.violation) == 0 with input as t.input_for([s], "managers", "4.9.0")
	u := t.one(versions.violation) with input as t.input_for([s], "managers", "4.10.0")
	u.id == "upgrade-path-unverified"
}

test_the_older_path_list_still_applies if {
	old := [{"from_below": "4.10.9", "to_at_least": "4.11.0", "via": "4.10.9", "note": "org standard"}]
	f := t.one(versions.violation) with input as t.managers([t.base_site]) with data.hcx.params as object.union(data.hcx.params, {"upgrade_paths": old})
	f.id == "upgrade-path-unsupported"
	contains(f.message, "upgrade to 4.10.9, then to 4.11.0. org standard")
}

test_a_downgrade if {
	f := t.one(versions.violation) with input as t.managers([object.union(_on("4.11.1"), {"updates": {"available": []}})])
	f.id == "target-not-newer"
	contains(f.message, "older than the current version 4.11.1")
}

test_nothing_to_upgrade if {
	f := t.one(versions.violation) with input as t.managers([_on("4.11.0"), object.union(t.cloud({}), {"manager": {"version": "4.11.0"}, "site_pairs": []})])
	f.id == "target-not-newer"
	f.site == null
	contains(f.message, "nothing to upgrade")
}

test_target_not_offered if {
	s := t.site({"updates": {"available": [{"version": "4.10.4"}]}})
	f := t.one(versions.violation) with input as t.managers([s]) with data.hcx.params.upgrade_path_table as _table
	f.id == "target-not-offered"
	contains(f.message, "(4.10.4)")
	g := t.one(versions.violation) with input as t.managers([t.site({"updates": {"available": []}})]) with data.hcx.params.upgrade_path_table as _table
	contains(g.message, "(none)")
	count(versions.violation) == 0 with input as t.managers([t.site({"updates": {"available": null}})]) with data.hcx.params.upgrade_path_table as _table
}

test_an_unsupported_path if {
	s := object.union(_on("4.3.2"), {"updates": {"available": null}})
	f := t.one(versions.violation) with input as t.managers([s])
	f.id == "upgrade-path-unsupported"
	contains(f.message, "upgrade to 4.4.2, then to 4.11.0")
	count(t.of(versions.violation, "upgrade-path-unsupported")) == 0 with input as t.managers([object.union(_on("4.4.2"), {"updates": {"available": null}})])
}

test_managers_before_the_service_mesh if {
	fs := versions.violation with input as t.input_for([t.base_site], "service-mesh", "4.11.0")
	{[f.id, f.resource] | some f in fs} == {["managers-first", "hcx.corp.example"], ["managers-first", "cloud"]}
	count(versions.violation) == 0 with input as t.input_for([_on("4.11.0")], "service-mesh", "4.11.0")
}

test_version_skew if {
	s := t.site({"site_pairs": [object.union(t.base_site.site_pairs[0], {"remote_version": "4.11.0"})]})
	f := t.one(t.of(versions.violation, "version-skew")) with input as t.input_for([s], "managers", "4.11.0")
	f.resource == "cloud"
}

test_version_skew_between_collected_sites_without_pair_versions if {
	pairs := [object.union(t.base_site.site_pairs[0], {"remote_version": null})]
	src := t.site({"site_pairs": pairs})
	dst := t.cloud({"manager": {"version": "4.11.0"}, "site_pairs": []})
	fs := t.of(versions.violation, "version-skew") with input as t.input_for([src, dst], "verify", "4.11.0")
	{[f.site, f.resource] | some f in fs} == {["source", "cloud"], ["cloud", "source"]}
	same := t.cloud({"site_pairs": []})
	count(t.of(versions.violation, "version-skew")) == 0 with input as t.input_for([src, same], "verify", "4.10.3")
}

test_version_not_updated if {
	fs := versions.violation with input as t.input_for([t.base_site], "verify", "4.11.0")
	{[f.id, f.resource] | some f in fs} == {["version-not-updated", "hcx.corp.example"], ["version-not-updated", "cloud"]}
	count(versions.violation) == 0 with input as t.input_for([_on("4.11.0")], "verify", "4.11.0")
}

test_version_not_updated_for_a_paired_manager_seen_only_through_its_site_pair if {
	behind := t.site({"manager": {"version": "4.11.0"}})
	f := t.one(t.of(versions.violation, "version-not-updated")) with input as t.input_for([behind], "verify", "4.11.0")
	f.resource == "cloud"
	contains(f.message, "reports 4.10.3, not the target 4.11.0")
	unknown := t.site({"manager": {"version": "4.11.0"}, "site_pairs": [object.union(t.base_site.site_pairs[0], {"remote_version": null})]})
	g := t.one(t.of(versions.violation, "version-not-updated")) with input as t.input_for([unknown], "verify", "4.11.0")
	contains(g.message, "reports no version (unknown)")
}

test_a_collected_paired_manager_is_verified_directly if {
	src := t.site({"manager": {"version": "4.11.0"}, "site_pairs": [object.union(t.base_site.site_pairs[0], {"remote_name": "cloud-east", "remote_version": null})]})
	dst := t.cloud({"manager": {"version": "4.11.0"}, "site_pairs": []})
	count(versions.violation) == 0 with input as t.input_for([src, dst], "verify", "4.11.0")
	by_name := object.union(src, {"site_pairs": [object.union(t.base_site.site_pairs[0], {"remote_url": "https://elsewhere.example", "remote_version": null})]})
	count(versions.violation) == 0 with input as t.input_for([by_name, dst], "verify", "4.11.0")
}

test_managers_first_ahead_and_unknown if {
	ahead := t.input_for([_on("4.11.1")], "service-mesh", "4.11.0")
	msgs := {f.message | some f in versions.violation; f.id == "managers-first"} with input as ahead
	some m in msgs
	contains(m, "hcx.corp.example is on 4.11.1, ahead of the target")
	unknown := t.input_for([t.site({"site_pairs": [object.union(t.base_site.site_pairs[0], {"remote_version": null})]})], "service-mesh", "4.10.3")
	f := t.one([v | some v in versions.violation; v.id == "managers-first"]) with input as unknown
	f.resource == "cloud"
	contains(f.message, "the paired manager cloud (https://cloud.example, seen only through the site pair of source) is of unknown version")
}

test_managers_first_judges_a_collected_peer_by_itself if {
	source := t.site({"site_pairs": [object.union(t.base_site.site_pairs[0], {"remote_version": null, "remote_name": "hcx-cloud", "remote_url": "https://CLOUD.example:443"})]})
	extra_pair := object.union(t.base_site.site_pairs[0], {"remote_name": "third", "remote_url": "https://third.example", "remote_version": "4.10.3"})
	with_third := object.union(source, {"site_pairs": array.concat(source.site_pairs, [extra_pair])})
	fs := versions.violation with input as t.input_for([with_third, t.cloud({})], "service-mesh", "4.10.3")
	{[f.id, f.resource] | some f in fs} == set()
}
