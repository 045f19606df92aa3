# Unit tests of acme-change-window: run them with `hcx-preflight policy test DIR`.
package hcx.rules.acme_test

import data.hcx.rules.acme

# 2026-11-28 is a Saturday.
_input(at, phase) := {
	"plan": {"target_version": "4.11.0", "phase": phase, "evaluated_at": at, "fail_on": "deny"},
	"snapshot": {"collected_at": at, "sites": [], "errors": []},
}

_ids(findings) := {f.id | some f in findings}

test_inside_the_window_passes if {
	not "acme-change-window" in _ids(acme.violation) with input as _input("2026-11-28T20:30:00Z", "managers")
}

test_outside_the_hours_fires if {
	"acme-change-window" in _ids(acme.violation) with input as _input("2026-11-28T09:00:00Z", "managers")
}

# The finding names what it rests on: the evaluation time and the window it was judged against.
test_the_finding_gives_its_evidence if {
	some f in acme.violation with input as _input("2026-11-28T09:00:00Z", "managers")
	f.evidence[0] == {"param": "plan.evaluated_at", "value": "2026-11-28T09:00:00Z"}
	[e.param | some e in f.evidence] == ["plan.evaluated_at", "acme.change_days", "thresholds.acme_window_start_hour", "thresholds.acme_window_end_hour"]
}

test_outside_the_days_fires if {
	"acme-change-window" in _ids(acme.violation) with input as _input("2026-11-25T20:30:00Z", "service-mesh")
}

test_verify_is_not_restricted if {
	not "acme-change-window" in _ids(acme.violation) with input as _input("2026-11-25T09:00:00Z", "verify")
}

test_the_thresholds_come_from_the_config if {
	"acme-change-window" in _ids(acme.violation) with input as _input("2026-11-28T20:30:00Z", "managers")
		with data.hcx.config.thresholds as {"acme_window_start_hour": 21}
}
