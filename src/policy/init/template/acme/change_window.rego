# acme-change-window: HCX upgrades run only inside ACME's change window.
#
# An example organisation rule, written by `hcx-preflight policy init`: edit it, or
# copy it for rules of your own. Each rule package lives under data.hcx.rules and
# emits `violation contains lib.with_evidence(lib.finding(id, site, resource, message),
# evidence)`; the id must be in the catalog (hcx/catalog/data.json beside this folder),
# which gives its title, default severity and remediation. The evidence names what the
# rule read: snapshot facts as lib.evidence_at(["sites", i, "manager", "version"]) (an
# RFC 6901 pointer with its value, and the attestation of an attested fact), and other
# inputs as lib.plan_evidence, lib.threshold_evidence or lib.param_evidence. The window's hours are thresholds: their
# defaults are in hcx/params/data.json, and hcx-preflight.toml may override them.
package hcx.rules.acme

import data.hcx.lib

_weekday := time.weekday(lib.now_ns)

_hour := time.clock(lib.now_ns)[0]

_start := lib.threshold("acme_window_start_hour")

_end := lib.threshold("acme_window_end_hour")

_in_window if {
	_weekday in data.hcx.params.acme.change_days
	_hour >= _start
	_hour < _end
}

violation contains lib.with_evidence(lib.finding("acme-change-window", null, input.plan.evaluated_at, msg), evidence) if {
	lib.phase in {"managers", "service-mesh"}
	not _in_window
	msg := sprintf("the upgrade is judged at %s (%s, hour %d UTC), outside the ACME change window (%s, from hour %d to hour %d UTC)", [
		input.plan.evaluated_at, _weekday, _hour,
		concat(", ", data.hcx.params.acme.change_days), _start, _end,
	])
	evidence := [
		lib.plan_evidence("evaluated_at"),
		lib.param_evidence("acme.change_days", data.hcx.params.acme.change_days),
		lib.threshold_evidence("acme_window_start_hour"),
		lib.threshold_evidence("acme_window_end_hour"),
	]
}
