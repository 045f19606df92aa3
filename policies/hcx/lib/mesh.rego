# Helpers for the Service Mesh phases: which managers are site-paired (collected, or
# seen only through a site pair), whether a version is the target, appliance families.
package hcx.lib

# Every site-paired manager the snapshot knows of: each collected manager, and each peer
# seen only through a site pair (with the version that pair reports; null if unknown).
paired_managers contains {"site": site.name, "name": manager_name(site), "label": manager_name(site), "version": object.get(site.manager, "version", null), "at": ["sites", i, "manager", "version"]} if {
	some i, site in sites
}

paired_managers contains {"site": site.name, "name": name, "label": label, "version": object.get(pair, "remote_version", null), "at": ["sites", i, "site_pairs", j, "remote_version"]} if {
	some i, site in sites
	some j, pair in as_list(site.site_pairs)
	not pair_collected(site, pair)
	name := either(pair.remote_name, pair.remote_url)
	label := sprintf("the paired manager %s (%s, seen only through the site pair of %s)", [name, either(pair.remote_url, "url unknown"), site.name])
}

# The manager at the other end of `pair` is a collected site of this snapshot: by name,
# by host, or as the only pair of a site whose snapshot holds just the opposite side.
pair_collected(site, pair) if {
	some other in sites
	other.name != site.name
	_same_manager(other, pair)
}

pair_collected(site, pair) if {
	count(sites) == 2
	count(as_list(site.site_pairs)) == 1
	some other in sites
	other.role != site.role
}

_same_manager(other, pair) if pair.remote_name == other.name

_same_manager(other, pair) if {
	is_string(other.manager.fqdn)
	lower(url_host(pair.remote_url)) == lower(other.manager.fqdn)
}

# The host of an URL: "https://vc.corp.local:443/sdk" -> "vc.corp.local".
url_host(url) := host if {
	is_string(url)
	rest := _after_scheme(url)
	host_port := split(split(rest, "/")[0], "@")
	host := split(host_port[count(host_port) - 1], ":")[0]
}

_after_scheme(url) := split(url, "://")[1] if contains(url, "://")

_after_scheme(url) := url if not contains(url, "://")

# A version (possibly null) that equals the target, part by part.
on_target(v) if {
	is_string(v)
	version_parts(v) == target_parts
}

# An appliance of a family of data.hcx.params.appliance_types ("network_extension", "osam"),
# by the prefix of its type (HCX-NET-EXT also covers HCX-NET-EXT-EDGE).
appliance_of(appliance, family) if {
	is_string(appliance.type)
	some prefix in data.hcx.params.appliance_types[family]
	startswith(upper(appliance.type), prefix)
}

# A version for messages.
version_text(v) := v if is_string(v)

version_text(v) := "unknown" if not is_string(v)
