# Backup and roll-back advice before the managers are upgraded.
package hcx.rules.backup

import data.hcx.lib

_provider_managed(site) if site.manager.provider_managed == true

_ns_per_hour := 3600000000000

# Backup is supported and no successful backup is known within the allowed age
# (a provider-managed site that says backup is supported is held to it too).
violation contains lib.with_evidence(lib.finding("backup-missing", site.name, lib.manager_name(site), msg), ev) if {
	lib.phase == "managers"
	some i, site in lib.sites
	site.backup.supported == true
	site.backup.last_success_at == null
	msg := sprintf("no successful backup of %s is known: back up the manager before upgrading", [lib.manager_name(site)])
	ev := [lib.site_evidence(i, ["backup", "supported"]), lib.site_evidence(i, ["backup", "last_success_at"])]
}

violation contains lib.with_evidence(lib.finding("backup-missing", site.name, lib.manager_name(site), msg), ev) if {
	lib.phase == "managers"
	some i, site in lib.sites
	site.backup.supported == true
	is_string(site.backup.last_success_at)
	max_hours := lib.threshold("backup_max_age_hours")
	age := lib.now_ns - time.parse_rfc3339_ns(site.backup.last_success_at)
	age > max_hours * _ns_per_hour
	hours := round((age * 10) / _ns_per_hour) / 10
	msg := sprintf("the last successful backup of %s was at %s, %v hours before the evaluation, more than the allowed %v hours", [
		lib.manager_name(site), site.backup.last_success_at, hours, max_hours,
	])
	ev := _backup_time_evidence(i, ["backup_max_age_hours"])
}

# Provider-managed, or backup unsupported: plan snapshots or the provider's procedure.
violation contains lib.with_evidence(lib.finding("backup-unavailable", site.name, lib.manager_name(site), msg), ev) if {
	lib.phase == "managers"
	some i, site in lib.sites
	_provider_managed(site)
	msg := sprintf("%s is managed by a cloud provider (%s): HCX backup may not be available; follow the provider's procedure or plan vSphere snapshots", [lib.manager_name(site), _provider(site)])
	ev := [lib.site_evidence(i, ["manager", "provider_managed"]), lib.site_evidence(i, ["manager", "provider"])]
}

# Only a provider-managed cloud may lack the backup function: elsewhere `supported: false`
# is a misreading or a misconfiguration, not an excuse.
violation contains lib.with_evidence(lib.finding("backup-missing", site.name, lib.manager_name(site), msg), ev) if {
	lib.phase == "managers"
	some i, site in lib.sites
	not _provider_managed(site)
	site.backup.supported == false
	msg := sprintf("backup is reported as not supported on %s, but only a provider-managed HCX may lack the backup function: configure the backup in appliance management, back up the manager and attest it (or attest manager.provider if a cloud provider manages it)", [lib.manager_name(site)])
	ev := [lib.site_evidence(i, ["backup", "supported"]), lib.site_evidence(i, ["manager", "provider_managed"])]
}

_provider(site) := site.manager.provider if is_string(site.manager.provider)

_provider(site) := "provider not named" if not is_string(object.get(site, ["manager", "provider"], null))

# Always, before the managers are upgraded: optional vSphere snapshots at both sites.
violation contains lib.with_evidence(lib.finding("snapshot-recommended", site.name, lib.manager_name(site), msg), ev) if {
	lib.phase == "managers"
	some i, site in lib.sites
	msg := sprintf("take a vSphere snapshot of %s (site %s) before the upgrade%s", [lib.manager_name(site), site.name, _snapshot_role(site)])
	ev := [lib.site_evidence(i, ["manager", "version"]), lib.plan_evidence("target_version")]
}

_snapshot_role(site) := ": it allows a roll-back" if not lib.manager_crosses(site, data.hcx.params.boundaries.postgresql)

_snapshot_role(site) := sprintf(" as a later fallback only: across %s the upgrade reversal procedure of KB 87041 comes first, before backup/restore or snapshots", [data.hcx.params.boundaries.postgresql]) if {
	lib.manager_crosses(site, data.hcx.params.boundaries.postgresql)
}

# A backup time after the evaluation is not a backup: clock skew or a wrong attestation.
violation contains lib.with_evidence(lib.finding("backup-missing", site.name, lib.manager_name(site), msg), ev) if {
	lib.phase == "managers"
	some i, site in lib.sites
	site.backup.supported == true
	is_string(site.backup.last_success_at)
	time.parse_rfc3339_ns(site.backup.last_success_at) > lib.now_ns
	msg := sprintf("the last successful backup of %s is dated %s, after the evaluation at %s: that is clock skew or a wrong attestation, not a backup; check the clocks and the backup job, then back up or attest the real time", [
		lib.manager_name(site), site.backup.last_success_at, input.plan.evaluated_at,
	])
	ev := _backup_time_evidence(i, [])
}

# An attested backup that no longer holds does not count.
violation contains lib.with_evidence(lib.finding("backup-missing", site.name, lib.manager_name(site), msg), ev) if {
	lib.phase == "managers"
	some i, site in lib.sites
	site.backup.supported == true
	is_string(site.backup.last_success_at)
	lapse := lib.attestation_lapse(site, site.backup)
	is_string(lapse)
	msg := sprintf("the last backup of %s (%s) was %s, which no longer holds: %s; attest it again: %s", [
		lib.manager_name(site), site.backup.last_success_at, lib.attested_by(site.backup), lapse,
		lib.attest_hint(site, "backup.last_success_at", "TIME"),
	])
	ev := _backup_time_evidence(i, ["attestation_max_age_hours"])
}

# The backup time against the evaluation time and the thresholds applied.
_backup_time_evidence(i, thresholds) := array.concat(
	[lib.site_evidence(i, ["backup", "last_success_at"]), lib.plan_evidence("evaluated_at")],
	[lib.threshold_evidence(t) | some t in thresholds],
)
