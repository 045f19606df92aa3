# Unit tests of the decision record's view of attested facts (data.hcx.lib.attested_facts).
package hcx.record_test

import data.hcx.lib
import data.hcx.testing as t

test_attested_facts_say_whether_they_hold if {
	stamp := {"provenance": "attested", "attested_at": "2026-11-29T08:00:00Z", "attested_by": "ops", "evidence": "job 7"}
	lapsed := object.union(stamp, {"attested_at": "2026-11-27T08:00:00Z"})
	attested := [
		{"site": 0, "pointer": "/sites/0/backup", "fact": stamp},
		{"site": 0, "pointer": "/sites/0/site_pairs/0", "fact": lapsed},
	]
	facts := lib.attested_facts with input as object.union(t.managers([t.base_site]), {"attested": attested})
	count(facts) == 2
	{"pointer": "/sites/0/backup", "lapse": null} in facts
	some gone in facts
	gone.pointer == "/sites/0/site_pairs/0"
	contains(gone.lapse, "more than the allowed 24 hours")
}

test_no_attested_facts_without_the_list if {
	count(lib.attested_facts) == 0 with input as t.managers([t.base_site])
}
