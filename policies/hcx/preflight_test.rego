# Unit tests of the entrypoint: catalog metadata, disabled rules, severity
# overrides, waivers (applied, expired, unused) and the checks that make
# hcx-preflight refuse to decide.
package hcx.preflight_test

import data.hcx.preflight
import data.hcx.testing as t

_busy := t.site({"operations": {"active_migrations": 1, "active_replications": 0}})

_inp := t.managers([_busy])

_by_id(findings, id) := [f | some f in findings; f.id == id]

test_findings_carry_the_catalog_metadata if {
	f := t.one(_by_id(preflight.findings, "active-operations")) with input as _inp
	f.severity == "warn"
	f.title == data.hcx.catalog["active-operations"].title
	f.remediation == data.hcx.catalog["active-operations"].remediation
	f.kb == null
	f.kb_url == null
	f.waived == false
}

test_kb_links if {
	s := t.site({"manager": {"version": "4.3.2", "fqdn": "hcx.corp.local"}})
	f := t.one(_by_id(preflight.findings, "kb90082-local-fqdn")) with input as t.managers([s])
	f.kb == "90082"
	f.kb_url == "https://knowledge.broadcom.com/external/article?legacyId=90082"
}

test_a_rule_severity_is_kept if {
	s := t.site({"connections": null, "manager": {"provider_managed": true}})
	f := t.one(_by_id(preflight.findings, "connection-unknown")) with input as t.managers([s])
	f.severity == "warn"
}

test_disabled_rules_report_nothing if {
	fs := preflight.findings with input as _inp with data.hcx.config as t.config({"disabled": ["active-operations"]})
	count(_by_id(fs, "active-operations")) == 0
	count(_by_id(fs, "snapshot-recommended")) == 1
}

test_severity_overrides if {
	cfg := t.config({"severity": {"active-operations": "deny"}})
	f := t.one(_by_id(preflight.findings, "active-operations")) with input as _inp with data.hcx.config as cfg
	f.severity == "deny"
}

_waiver(changes) := object.union({
	"id": "active-operations", "reason": "DR replication", "approved_by": "CAB-1",
	"expires": "2026-12-31T23:59:59Z",
}, changes)

test_a_matching_waiver_applies if {
	cfg := t.config({"waivers": [_waiver({"site": "source"}), _waiver({"reason": "second"})]})
	fs := preflight.findings with input as _inp with data.hcx.config as cfg
	f := t.one(_by_id(fs, "active-operations"))
	f.waived == true
	f.waiver == {"id": "active-operations", "site": "source", "reason": "DR replication", "approved_by": "CAB-1", "expires": "2026-12-31T23:59:59Z"}
	# the second waiver matched too, so it is not unused
	count(_by_id(fs, "waiver-unused")) == 0
}

test_a_waiver_for_another_resource_is_unused if {
	cfg := t.config({"waivers": [_waiver({"resource": "other.example"})]})
	fs := preflight.findings with input as _inp with data.hcx.config as cfg
	t.one(_by_id(fs, "active-operations")).waived == false
	u := t.one(_by_id(fs, "waiver-unused"))
	u.resource == "active-operations"
	contains(u.message, "the waiver for active-operations resource=other.example matched no finding")
}

test_an_expired_waiver_no_longer_applies if {
	cfg := t.config({"waivers": [_waiver({"expires": "2026-11-01T00:00:00Z", "site": "source"})]})
	fs := preflight.findings with input as _inp with data.hcx.config as cfg
	t.one(_by_id(fs, "active-operations")).waived == false
	e := t.one(_by_id(fs, "waiver-expired"))
	e.site == "source"
	e.severity == data.hcx.catalog["waiver-expired"].severity
	contains(e.message, "the waiver for active-operations site=source expired at 2026-11-01T00:00:00Z")
}

test_waiver_findings_ignore_overrides_and_waivers if {
	cfg := t.config({
		"severity": {"waiver-expired": "info"},
		"waivers": [_waiver({"expires": "2026-11-01T00:00:00Z"}), _waiver({"id": "waiver-expired"})],
	})
	fs := preflight.findings with input as _inp with data.hcx.config as cfg
	e := t.one(_by_id(fs, "waiver-expired"))
	e.severity == data.hcx.catalog["waiver-expired"].severity
	e.waived == false
}

test_uncatalogued_ids_are_reported if {
	"active-operations" in preflight.uncatalogued with input as _inp with data.hcx.catalog as {}
}

test_malformed_findings_are_reported if {
	bad := {"id": "active-operations", "message": 7}
	bad in preflight.malformed with input as _inp with data.hcx.rules.operations.violation as {bad}
	count(preflight.malformed) == 0 with input as _inp
}

test_the_report_has_every_part if {
	r := preflight.report with input as _inp
	# (organisation rules may add findings of their own)
	{f.id | some f in r.findings; f.id in {"active-operations", "snapshot-recommended"}} == {"active-operations", "snapshot-recommended"}
	r.uncatalogued == set()
	r.malformed == set()
}

# An unknown fact gets the catalog's steps for an unknown fact; a known-bad one the repair.
test_unknown_facts_get_the_unknown_remediation if {
	unknown := t.site({"site_pairs": [object.union(t.base_site.site_pairs[0], {"status": null})]})
	[f] := _by_id(preflight.findings, "site-pair-unhealthy") with input as t.managers([unknown])
	f.remediation == data.hcx.catalog["site-pair-unhealthy"].remediation_unknown
	bad := t.site({"site_pairs": [object.union(t.base_site.site_pairs[0], {"status": "degraded"})]})
	[g] := _by_id(preflight.findings, "site-pair-unhealthy") with input as t.managers([bad])
	startswith(g.remediation, "Repair the site pair")
	g.evidence == [
		{"pointer": "/sites/0/site_pairs/0/status", "value": "degraded"},
		{"pointer": "/sites/0/site_pairs/0/remote_name", "value": "cloud"},
		{"pointer": "/sites/0/site_pairs/0/remote_url", "value": "https://cloud.example"},
	]
}
