# The entrypoint: data.hcx.preflight.findings
#
# Takes the raw findings of every rule package under data.hcx.rules (built-in and
# organisation; gathered by the generated `raw`, see below), adds the catalog's metadata (data.hcx.catalog), applies the
# organisation's config (data.hcx.config: disabled rules, severity overrides,
# waivers) and reports waivers that expired or matched nothing. The decision
# (allow/deny) is derived from these findings by hcx-preflight, and the same
# query gives the same set of findings in OPA.
package hcx.preflight

import data.hcx.lib

_config := data.hcx.config

_disabled := {id | some id in object.get(_config, "disabled", [])}

_overrides := object.get(_config, "severity", {})

_waivers := object.get(_config, "waivers", [])

# Ids that waivers, overrides and disabling can never touch.
_meta_ids := {"waiver-expired", "waiver-unused"}

# `raw`, every raw finding of every rule package under data.hcx.rules, is generated
# by hcx-preflight from the rule packages it loads (built-in and organisation): one
# `raw contains v if some v in data.hcx.rules.<name>.violation` per package, in
# hcx/preflight_raw.rego, which `hcx-preflight policy export` writes into the bundle.

# Emitted ids that the catalog does not know: hcx-preflight refuses to decide.
uncatalogued contains v.id if {
	some v in raw
	not data.hcx.catalog[v.id]
}

_severity(v) := _overrides[v.id] if _has_override(v)
else := v.severity if is_string(object.get(v, "severity", null))
else := data.hcx.catalog[v.id].severity

_has_override(v) if {
	not object.get(v, "id", null) in _meta_ids
	_overrides[v.id]
}

# kb_url_prefix: in the generated part of this package (hcx/preflight_raw.rego).
_kb_url(kb) := concat("", [kb_url_prefix, kb]) if is_string(kb) else := null

_enrich(v) := {
	"id": v.id,
	"severity": _severity(v),
	"site": object.get(v, "site", null),
	"resource": object.get(v, "resource", null),
	"title": meta.title,
	"message": v.message,
	"remediation": _remediation(v, meta),
	"kb": kb,
	"kb_url": _kb_url(kb),
	"evidence": object.get(v, "evidence", null),
} if {
	meta := data.hcx.catalog[v.id]
	kb := object.get(meta, "kb", null)
}

# Findings of the rules, with their metadata, before waivers.
# A finding about an unknown fact gets the catalog's steps for an unknown fact, where it has them.
_remediation(v, meta) := meta.remediation_unknown if _unknown_remedy(v, meta) else := meta.remediation

_unknown_remedy(v, meta) if {
	object.get(v, "unknown", false) == true
	is_string(object.get(meta, "remediation_unknown", null))
}

_rule_findings contains _enrich(v) if {
	some v in raw
	not object.get(v, "id", null) in _disabled
	data.hcx.catalog[v.id]
}

_enriched := _rule_findings | {_enrich(v) | some v in _waiver_findings}

# The findings, each marked waived (with the waiver) or not.
findings contains object.union(f, {"waived": true, "waiver": w}) if {
	some f in _enriched
	w := _first_waiver(f)
}

findings contains object.union(f, {"waived": false}) if {
	some f in _enriched
	not _first_waiver(f)
}

_active(w) if time.parse_rfc3339_ns(w.expires) > lib.now_ns

_applies(w, f) if {
	not object.get(f, "id", null) in _meta_ids
	w.id == f.id
	_optional_match(w, "site", f.site)
	_optional_match(w, "resource", f.resource)
}

_optional_match(w, key, _) if object.get(w, key, null) == null

_optional_match(w, key, value) if w[key] == value

# The first active waiver (in config order) that applies to a finding.
_first_waiver(f) := w if {
	matching := [i |
		some i, w2 in _waivers
		_active(w2)
		_applies(w2, f)
	]
	count(matching) > 0
	w := _public(_waivers[min(matching)])
}

_public(w) := {k: v | some k, v in w; k in {"id", "site", "resource", "reason", "approved_by", "expires"}}

_waiver_findings contains lib.with_evidence(lib.finding("waiver-expired", object.get(w, "site", null), w.id, msg), ev) if {
	some k, w in _waivers
	not _active(w)
	msg := sprintf("the waiver for %s%s expired at %s (reason: %s; approved by %s): it no longer applies", [
		w.id, _scope(w), w.expires, w.reason, w.approved_by,
	])
	ev := [_waiver_evidence(k, w), lib.plan_evidence("evaluated_at")]
}

_waiver_findings contains lib.with_evidence(lib.finding("waiver-unused", object.get(w, "site", null), w.id, msg), ev) if {
	some k, w in _waivers
	_active(w)
	not _matches_any(w)
	msg := sprintf("the waiver for %s%s matched no finding (reason: %s; approved by %s; expires %s): remove it or fix its site/resource", [
		w.id, _scope(w), w.reason, w.approved_by, w.expires,
	])
	ev := [_waiver_evidence(k, w)]
}

# A waiver is config, not a snapshot fact: named by its place in the config's list.
_waiver_evidence(k, w) := lib.param_evidence(sprintf("config.waivers[%d]", [k]), _public(w))

_matches_any(w) if {
	some f in _rule_findings
	_applies(w, f)
}

_scope(w) := concat("", [_part(w, "site"), _part(w, "resource")])

_part(w, key) := sprintf(" %s=%s", [key, w[key]]) if is_string(object.get(w, key, null))

_part(w, key) := "" if not is_string(object.get(w, key, null))

# Raw findings that lack an id or a message: hcx-preflight refuses to decide.
malformed contains v if {
	some v in raw
	not _well_formed(v)
}

_well_formed(v) if {
	is_string(v.id)
	is_string(v.message)
}

# What hcx-preflight evaluates in one pass: the findings and the two checks above.
report := {
	"findings": findings,
	"uncatalogued": uncatalogued,
	"malformed": malformed,
}
