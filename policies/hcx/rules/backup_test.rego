# Unit tests of backup-missing, backup-unavailable and snapshot-recommended.
package hcx.rules.backup_test

import data.hcx.rules.backup
import data.hcx.testing as t

test_base_estate_needs_no_backup if {
	not "backup-missing" in t.ids(backup.violation) with input as t.managers([t.base_site])
	not "backup-unavailable" in t.ids(backup.violation) with input as t.managers([t.base_site])
}

test_backup_missing_when_never_backed_up if {
	s := t.site({"backup": {"last_success_at": null}})
	[f] := t.of(backup.violation, "backup-missing") with input as t.managers([s])
	f.site == "source"
	f.resource == "hcx.corp.example"
	contains(f.message, "no successful backup")
}

test_backup_missing_when_too_old if {
	s := t.site({"backup": {"last_success_at": "2026-11-27T09:05:00Z"}})
	[f] := t.of(backup.violation, "backup-missing") with input as t.managers([s])
	contains(f.message, "48 hours before the evaluation, more than the allowed 24 hours")
}

test_backup_age_threshold_comes_from_the_config if {
	count(t.of(backup.violation, "backup-missing")) == 1 with input as t.managers([t.base_site])
		with data.hcx.config as t.config({"thresholds": {"backup_max_age_hours": 2}})
}

test_no_backup_rules_after_the_managers_phase if {
	s := t.site({"backup": {"last_success_at": null}})
	count(backup.violation) == 0 with input as t.input_for([s], "service-mesh", "4.11.0")
}

test_backup_unavailable_on_a_provider_managed_site if {
	s := t.site({"manager": {"provider_managed": true, "provider": "avs"}, "backup": {"supported": null, "last_success_at": null}})
	[f] := t.of(backup.violation, "backup-unavailable") with input as t.managers([s])
	contains(f.message, "(avs)")
	not "backup-missing" in t.ids(backup.violation) with input as t.managers([s])
}

test_a_provider_managed_site_that_supports_backup_still_needs_one if {
	s := t.site({"manager": {"provider_managed": true, "provider": "avs"}, "backup": {"supported": true, "last_success_at": null}})
	ids := t.ids(backup.violation) with input as t.managers([s])
	"backup-missing" in ids
	"backup-unavailable" in ids
}

test_backup_unavailable_names_an_unnamed_provider if {
	s := t.site({"manager": {"provider_managed": true}})
	[f] := t.of(backup.violation, "backup-unavailable") with input as t.managers([s])
	contains(f.message, "provider not named")
}

test_unsupported_backup_on_a_self_managed_manager_denies if {
	s := t.site({"backup": {"supported": false, "last_success_at": null}})
	[f] := t.of(backup.violation, "backup-missing") with input as t.managers([s])
	contains(f.message, "only a provider-managed HCX may lack the backup function")
	not "backup-unavailable" in t.ids(backup.violation) with input as t.managers([s])
	unknown := t.site({"manager": {"provider_managed": null}, "backup": {"supported": false}})
	"backup-missing" in t.ids(backup.violation) with input as t.managers([unknown])
}

test_a_backup_dated_after_the_evaluation_is_not_a_backup if {
	s := t.site({"backup": {"last_success_at": "2026-11-29T10:00:00Z"}})
	[f] := t.of(backup.violation, "backup-missing") with input as t.managers([s])
	contains(f.message, "dated 2026-11-29T10:00:00Z, after the evaluation at 2026-11-29T09:05:00Z")
}

test_an_attested_backup_that_no_longer_holds_does_not_count if {
	attested := {"provenance": "attested", "evidence": "job 1", "attested_by": "ops", "attested_on_version": "4.10.3"}
	fresh := t.site({"backup": object.union(attested, {"attested_at": "2026-11-29T08:00:00Z"})})
	not "backup-missing" in t.ids(backup.violation) with input as t.managers([fresh])
	old := t.site({"backup": object.union(attested, {"attested_at": "2026-11-27T08:00:00Z"})})
	[f] := t.of(backup.violation, "backup-missing") with input as t.managers([old])
	contains(f.message, "attested by ops at 2026-11-27T08:00:00Z, which no longer holds")
	contains(f.message, "--attest 'source.backup.last_success_at=TIME;evidence=WHAT SHOWS IT'")
}

test_snapshots_defer_to_the_upgrade_reversal_across_4_3 if {
	s := t.site({"manager": {"version": "4.2.1"}})
	[f] := t.of(backup.violation, "snapshot-recommended") with input as t.managers([s])
	contains(f.message, "the upgrade reversal procedure of KB 87041 comes first")
	not contains(f.message, "it allows a roll-back")
}

test_snapshot_recommended_per_site_before_the_managers if {
	fs := t.of(backup.violation, "snapshot-recommended") with input as t.managers([t.base_site, t.cloud({})])
	{f.site | some f in fs} == {"source", "cloud"}
}

test_snapshot_not_recommended_in_verify if {
	not "snapshot-recommended" in t.ids(backup.violation) with input as t.input_for([t.base_site], "verify", "4.11.0")
}
