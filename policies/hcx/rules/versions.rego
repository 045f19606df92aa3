# Version rules: direction of the upgrade, offered updates, supported paths,
# skew between site-paired managers, managers before the Service Mesh, and the
# post-upgrade version check.
package hcx.rules.versions

import data.hcx.lib

# A downgrade: the target is older than a manager's current version.
violation contains lib.with_evidence(lib.finding("target-not-newer", site.name, lib.manager_name(site), msg), ev) if {
	lib.phase == "managers"
	some i, site in lib.sites
	lib.manager_parts[site.name] > lib.target_parts
	msg := sprintf("target %s is older than the current version %s of %s: HCX does not downgrade", [lib.target, site.manager.version, lib.manager_name(site)])
	ev := _version_evidence(i)
}

# Nothing to upgrade: every collected manager is already on the target (newer ones are downgrades, above).
violation contains lib.with_evidence(lib.finding("target-not-newer", null, lib.target, msg), ev) if {
	lib.phase == "managers"
	versions := [sprintf("%s %s", [lib.manager_name(site), site.manager.version]) |
		some i, site in lib.sites
		is_string(site.manager.version)
	]
	count(versions) > 0
	count(versions) == count(lib.sites)
	not _some_manager_below_target
	not _some_manager_above_target
	msg := sprintf("no manager is below the target %s (%s): nothing to upgrade", [lib.target, concat(", ", versions)])
	ev := array.concat([lib.site_evidence(i, ["manager", "version"]) | some i, _ in lib.sites], [lib.plan_evidence("target_version")])
}

_some_manager_above_target if {
	some parts in lib.manager_parts
	parts > lib.target_parts
}

_some_manager_below_target if {
	some parts in lib.manager_parts
	parts < lib.target_parts
}

# The target is not offered to a manager that needs it (when the list is known).
violation contains lib.with_evidence(lib.finding("target-not-offered", site.name, lib.manager_name(site), msg), ev) if {
	lib.phase == "managers"
	some i, site in lib.sites
	lib.manager_below_target(site)
	offered := site.updates.available
	is_array(offered)
	not _offers(offered, lib.target)
	msg := sprintf("%s does not list %s among its available updates (%s)", [
		lib.manager_name(site), lib.target,
		_describe_offered(offered),
	])
	ev := array.concat(_version_evidence(i), [lib.site_evidence(i, ["updates", "available"])])
}

_offers(offered, target) if {
	some u in offered
	lib.version_eq(u.version, target)
}

_describe_offered(offered) := "none" if count(offered) == 0

_describe_offered(offered) := concat(", ", [u.version | some u in offered]) if count(offered) > 0

# The jump is not a supported path. The path table is data: the rows of
# data.hcx.params.upgrade_path_table (keyed by row id, so an organisation adds or replaces
# rows) that name a `via` release, and the rows of the older list data.hcx.params.upgrade_paths.
# The route planner (src/route.rs) reads the same rows with the same bounds.
violation contains lib.with_evidence(lib.finding("upgrade-path-unsupported", site.name, lib.manager_name(site), msg), ev) if {
	some i, site in lib.sites
	lib.manager_below_target(site)
	some path in via_rows
	path_applies(path, site.manager.version, lib.target)
	msg := sprintf("%s is on %s: the path table requires %s first for %s; upgrade to %s, then to %s. %s", [
		lib.manager_name(site), site.manager.version, path.via, lib.target, path.via, lib.target, _note(path),
	])
	ev := array.concat(_version_evidence(i), [lib.param_evidence("upgrade_path", path)])
}

# Phase managers: no row of the path table vouches for this jump, so the data does not
# verify the path (only the 4.9 rows are sourced); the operator checks the release notes.
violation contains lib.with_evidence(lib.finding("upgrade-path-unverified", site.name, lib.manager_name(site), msg), ev) if {
	lib.phase == "managers"
	some i, site in lib.sites
	lib.manager_below_target(site)
	from := object.get(site, ["manager", "version"], null)
	not _forced_via(site)
	not path_verified(from, lib.target)
	msg := sprintf("no row of the upgrade path table vouches for %s -> %s at %s: the path is not verified by the data; read the release notes of %s for its supported upgrade paths", [
		site.manager.version, lib.target, lib.manager_name(site), lib.target,
	])
	ev := _version_evidence(i)
}

_forced_via(site) if {
	some path in via_rows
	path_applies(path, site.manager.version, lib.target)
}

# Every row that forces an intermediate release (table rows with `via`, and the older list).
via_rows := array.concat(
	[row | some row in object.get(data.hcx.params, "upgrade_path_table", {}); is_string(object.get(row, "via", null))],
	[row | some row in object.get(data.hcx.params, "upgrade_paths", [])],
)

# A row of the table vouches for the direct jump from -> to.
path_verified(from, to) if {
	some row in object.get(data.hcx.params, "upgrade_path_table", {})
	object.get(row, "direct", false) == true
	path_applies(row, from, to)
}

# A row applies to the jump from -> to: from in [from_at_least, from_below), to in
# [to_at_least, to_below); a missing bound does not limit.
path_applies(row, from, to) if {
	_at_least(from, object.get(row, "from_at_least", null))
	_below(from, object.get(row, "from_below", null))
	_at_least(to, object.get(row, "to_at_least", null))
	_below(to, object.get(row, "to_below", null))
}

_at_least(_, bound) if bound == null

_at_least(v, bound) if {
	is_string(bound)
	lib.version_ge(v, bound)
}

_below(_, bound) if bound == null

_below(v, bound) if {
	is_string(bound)
	lib.version_lt(v, bound)
}

_note(row) := row.note if is_string(row.note)

_note(row) := "" if not is_string(object.get(row, "note", null))

# Phase service-mesh: every site-paired manager (collected, or seen only through a site
# pair) on the same version, the target, compared part by part; behind, ahead or unknown denies.
violation contains lib.with_evidence(lib.finding("managers-first", m.site, m.name, msg), ev) if {
	lib.phase == "service-mesh"
	some m in lib.paired_managers
	not lib.on_target(object.get(m, "version", null))
	msg := sprintf("%s is %s: the Service Mesh upgrade needs the site-paired managers on the same version, the target %s (now: %s); finish the managers' upgrade first (phases managers, then verify)", [
		m.label, _standing(m.version), lib.target, _managers_now,
	])
	ev := [lib.evidence_at(m.at), lib.plan_evidence("target_version")]
}

_standing(v) := sprintf("on %s, behind the target", [v]) if {
	is_string(v)
	lib.version_lt(v, lib.target)
}

_standing(v) := sprintf("on %s, ahead of the target", [v]) if {
	is_string(v)
	lib.version_gt(v, lib.target)
}

_standing(v) := "of unknown version" if not is_string(v)

_managers_now := concat(", ", sort([sprintf("%s %s", [m.name, lib.version_text(m.version)]) | some m in lib.paired_managers]))

# Site-paired managers on different versions.
violation contains lib.with_evidence(lib.finding("version-skew", site.name, pair.remote_name, msg), ev) if {
	some i, site in lib.sites
	is_string(site.manager.version)
	some j, pair in lib.as_list(site.site_pairs)
	is_string(pair.remote_version)
	not lib.version_eq(site.manager.version, pair.remote_version)
	msg := sprintf("%s is on %s but its paired manager %s is on %s: site-paired managers should end on the same version", [lib.manager_name(site), site.manager.version, pair.remote_name, pair.remote_version])
	ev := [lib.site_evidence(i, ["manager", "version"]), lib.site_evidence(i, ["site_pairs", j, "remote_version"]), lib.site_evidence(i, ["site_pairs", j, "remote_name"])]
}

# The same between two collected managers of opposite roles, where the site pairs do not
# report the peer's version.
violation contains lib.with_evidence(lib.finding("version-skew", site.name, other.name, msg), ev) if {
	some i, site in lib.sites
	not _pair_reports_a_version(site)
	some o, other in lib.sites
	other.role != site.role
	lib.manager_parts[site.name] != lib.manager_parts[other.name]
	msg := sprintf("%s is on %s but %s (site %s) is on %s: site-paired managers should end on the same version", [
		lib.manager_name(site), site.manager.version, lib.manager_name(other), other.name, other.manager.version,
	])
	ev := [lib.site_evidence(i, ["manager", "version"]), lib.site_evidence(o, ["manager", "version"])]
}

_pair_reports_a_version(site) if {
	some j, pair in lib.as_list(site.site_pairs)
	is_string(pair.remote_version)
}

# Phases verify and verify-mesh: the manager must report the target as its current version.
violation contains lib.with_evidence(lib.finding("version-not-updated", site.name, lib.manager_name(site), msg), ev) if {
	lib.phase in {"verify", "verify-mesh"}
	some i, site in lib.sites
	lib.manager_parts[site.name] != lib.target_parts
	msg := sprintf("%s reports %s as its current version, not the target %s", [lib.manager_name(site), site.manager.version, lib.target])
	ev := _version_evidence(i)
}

# Phases verify and verify-mesh, a paired manager seen only through its site pair: its
# known version must be the target, and an unknown one fails closed.
violation contains lib.with_evidence(lib.finding("version-not-updated", site.name, name, msg), ev) if {
	lib.phase in {"verify", "verify-mesh"}
	some i, site in lib.sites
	some j, pair in lib.as_list(site.site_pairs)
	not lib.pair_collected(site, pair)
	not lib.on_target(object.get(pair, "remote_version", null))
	name := lib.either(pair.remote_name, pair.remote_url)
	msg := sprintf("the paired manager %s (%s), seen through the site pair from %s, reports %s, not the target %s: upgrade it, or collect it too (--site) to verify it directly", [
		name, lib.either(pair.remote_url, "url unknown"), lib.manager_name(site), _pair_version(pair), lib.target,
	])
	ev := array.concat([lib.site_evidence(i, ["site_pairs", j, k]) | some k in ["remote_version", "remote_name", "remote_url"]], [lib.plan_evidence("target_version")])
}

_pair_version(pair) := pair.remote_version if is_string(object.get(pair, "remote_version", null))

_pair_version(pair) := "no version (unknown)" if not is_string(object.get(pair, "remote_version", null))

# A manager's version against the target.
_version_evidence(i) := [lib.site_evidence(i, ["manager", "version"]), lib.plan_evidence("target_version")]
