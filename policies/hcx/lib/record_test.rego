# Unit tests of the decision record's view of attested facts (data.hcx.lib.attested_facts).
package hcx.record_test

import data.hcx.lib
import data.hcx.testing as t

test_attested_facts_name_where_they_sit_and_whether_they_hold if {
	stamp := {"provenance": "attested", "attested_at": "2026-11-29T08:00:00Z", "attested_by": "ops", "evidence": "job 7"}
	lapsed := object.union(stamp, {"attested_at": "2026-11-27T08:00:00Z"})
	site := t.site({"backup": object.union(t.base_site.backup, stamp), "site_pairs": [object.union(t.base_site.site_pairs[0], lapsed)]})
	facts := lib.attested_facts with input as t.managers([site])
	count(facts) == 2
	some held in facts
	held.pointer == "/sites/0/backup"
	held.lapse == null
	held.attested_by == "ops"
	some gone in facts
	gone.pointer == "/sites/0/site_pairs/0"
	contains(gone.lapse, "more than the allowed 24 hours")
}

test_no_attested_facts_in_a_collected_estate if {
	count(lib.attested_facts) == 0 with input as t.managers([t.base_site])
}
