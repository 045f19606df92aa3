# Version helpers for HCX version strings ("4.10.3", "9.0.0.0").
#
# The snapshot loader has already validated every version (2 to 4 numeric parts), so
# these helpers work on plain strings and stay valid OPA Rego v1. They do not use
# semver.*: it rejects the 4-part versions of HCX 9.x.
package hcx.lib

# The numeric parts of a version, padded with zeros to four: "4.9" -> [4, 9, 0, 0].
# Arrays of equal length compare element by element, in OPA and regorus alike.
version_parts(v) := array.concat(p, array.slice([0, 0, 0, 0], 0, 4 - count(p))) if {
	p := [to_number(x) | some x in split(v, ".")]
}

# -1, 0 or 1 as a is older than, equal to or newer than b, part by part.
version_cmp(a, b) := -1 if version_lt(a, b)

version_cmp(a, b) := 0 if version_eq(a, b)

version_cmp(a, b) := 1 if version_gt(a, b)

version_lt(a, b) if version_parts(a) < version_parts(b)

version_le(a, b) if version_parts(a) <= version_parts(b)

version_gt(a, b) if version_parts(a) > version_parts(b)

version_ge(a, b) if version_parts(a) >= version_parts(b)

version_eq(a, b) if version_parts(a) == version_parts(b)
