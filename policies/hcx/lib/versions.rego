# Version helpers for HCX version strings ("4.10.3", "9.0.0.0").
#
# The snapshot loader has already validated every version (2 to 4 numeric parts), so
# these helpers work on plain strings and stay valid OPA Rego v1. They do not use
# semver.*: it rejects the 4-part versions of HCX 9.x.
package hcx.lib

# The numeric parts of a version, padded with zeros to four: "4.9" -> [4, 9, 0, 0].
version_parts(v) := [_part(p, i) | some i in numbers.range(0, 3)] if {
	p := [to_number(x) | some x in split(v, ".")]
}

_part(p, i) := p[i] if i < count(p)

_part(p, i) := 0 if i >= count(p)

# -1, 0 or 1 as a is older than, equal to or newer than b, part by part.
version_cmp(a, b) := c if {
	pa := version_parts(a)
	pb := version_parts(b)
	diffs := [d | some i in numbers.range(0, 3); d := pa[i] - pb[i]; d != 0]
	c := _sign(diffs)
}

_sign(diffs) := 0 if count(diffs) == 0

_sign(diffs) := -1 if {
	count(diffs) > 0
	diffs[0] < 0
}

_sign(diffs) := 1 if {
	count(diffs) > 0
	diffs[0] > 0
}

version_lt(a, b) if version_cmp(a, b) < 0

version_le(a, b) if version_cmp(a, b) <= 0

version_gt(a, b) if version_cmp(a, b) > 0

version_ge(a, b) if version_cmp(a, b) >= 0

version_eq(a, b) if version_cmp(a, b) == 0
