# Backup and roll-back advice before the managers are upgraded.
package hcx.rules.backup

import data.hcx.lib

_provider_managed(site) if site.manager.provider_managed == true

_ns_per_hour := 3600000000000

# Backup is supported and no successful backup is known within the allowed age
# (a provider-managed site that says backup is supported is held to it too).
violation contains lib.finding("backup-missing", site.name, lib.manager_name(site), msg) if {
	lib.phase == "managers"
	some site in lib.sites
	site.backup.supported == true
	site.backup.last_success_at == null
	msg := sprintf("no successful backup of %s is known: back up the manager before upgrading", [lib.manager_name(site)])
}

violation contains lib.finding("backup-missing", site.name, lib.manager_name(site), msg) if {
	lib.phase == "managers"
	some site in lib.sites
	site.backup.supported == true
	is_string(site.backup.last_success_at)
	max_hours := lib.threshold("backup_max_age_hours")
	age := lib.now_ns - time.parse_rfc3339_ns(site.backup.last_success_at)
	age > max_hours * _ns_per_hour
	hours := round((age * 10) / _ns_per_hour) / 10
	msg := sprintf("the last successful backup of %s was at %s, %v hours before the evaluation, more than the allowed %v hours", [
		lib.manager_name(site), site.backup.last_success_at, hours, max_hours,
	])
}

# Provider-managed, or backup unsupported: plan snapshots or the provider's procedure.
violation contains lib.finding("backup-unavailable", site.name, lib.manager_name(site), msg) if {
	lib.phase == "managers"
	some site in lib.sites
	_provider_managed(site)
	msg := sprintf("%s is managed by a cloud provider (%s): HCX backup may not be available; follow the provider's procedure or plan vSphere snapshots", [lib.manager_name(site), _provider(site)])
}

violation contains lib.finding("backup-unavailable", site.name, lib.manager_name(site), msg) if {
	lib.phase == "managers"
	some site in lib.sites
	not _provider_managed(site)
	site.backup.supported == false
	msg := sprintf("backup is not supported on %s: plan vSphere snapshots of the manager instead", [lib.manager_name(site)])
}

_provider(site) := site.manager.provider if is_string(site.manager.provider)

_provider(site) := "provider not named" if not is_string(object.get(site, ["manager", "provider"], null))

# Always, before the managers are upgraded: optional vSphere snapshots at both sites.
violation contains lib.finding("snapshot-recommended", site.name, lib.manager_name(site), msg) if {
	lib.phase == "managers"
	some site in lib.sites
	msg := sprintf("take a vSphere snapshot of %s (site %s) before the upgrade: it allows a roll-back", [lib.manager_name(site), site.name])
}
