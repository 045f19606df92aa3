#!/usr/bin/env bash
# The fleet page in a real browser: renders `check --snapshot-dir ... --format html` with
# headless Chromium (Debian's `chromium`, installed when missing), then checks that the
# screenshot is not blank, that the page text holds every estate and decision, and that
# the script ran (the tag filter is shown). Run by .ci/run; needs apt-get (as root) only
# when Chromium is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    echo "browser-check: installing Debian's chromium"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    browser=$(command -v chromium)
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --quiet --bin hcx-preflight
snaps="$work/snaps"
mkdir -p "$snaps"
cp fixtures/snapshots/two-site-healthy.json "$snaps/alpha.json"
cp fixtures/snapshots/site-pair-unhealthy.json "$snaps/beta.json"
cat > "$snaps/fleet.json" <<'JSON'
{ "schema_version": 1, "inventory": "inventory.toml", "collected_at": "2026-11-29T09:00:00Z",
  "estates": [
    { "name": "alpha", "tags": { "region": "eu-west" }, "snapshot": "alpha.json" },
    { "name": "beta", "tags": { "region": "us-east" }, "snapshot": "beta.json" },
    { "name": "gamma", "tags": { "region": "us-east" }, "snapshot": null, "error": "site source: cannot reach the HCX Manager" } ] }
JSON
page="$work/fleet.html"
status=0
target/debug/hcx-preflight check --snapshot-dir "$snaps" --target 4.11.0 --now 2026-11-29T09:05:00Z \
    --format html --output "$page" || status=$?
[ "$status" -eq 2 ] || { echo "browser-check: expected exit 2 (one estate undecided), got $status"; exit 1; }

flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,1000)
timeout 120 "$browser" "${flags[@]}" --screenshot="$work/shot.png" "file://$page" >/dev/null 2>&1
timeout 120 "$browser" "${flags[@]}" --dump-dom "file://$page" > "$work/dom.html" 2>/dev/null

python3 - "$work/shot.png" "$work/dom.html" <<'PY'
import struct, sys, zlib

def pixels(path):
    """Decode an 8-bit RGB/RGBA PNG (what Chromium writes) into rows of bytes."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), f"unexpected PNG format {depth}/{colour}"
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            pred = {0: 0, 1: a, 2: b, 3: (a + b) // 2}.get(f)
            if pred is None:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    return rows, bpp

rows, bpp = pixels(sys.argv[1])
colours = {row[i:i + 3] for row in rows[::4] for i in range(0, len(row), bpp * 4)}
white = sum(1 for row in rows for i in range(0, len(row), bpp) if row[i:i + 3] == b"\xff\xff\xff")
total = len(rows) * (len(rows[0]) // bpp)
print(f"browser-check: screenshot {len(rows[0]) // bpp}x{len(rows)}, {len(colours)} colours sampled, {100 * white / total:.0f}% white")
assert len(colours) >= 8, "the screenshot is blank (too few colours)"
assert white < 0.97 * total, "the screenshot is blank (almost all white)"
# The colours of the outcomes are on screen: deny red, pass green, unknown grey.
for name, rgb in {"deny": b"\xf4\xb4\xb4", "pass": b"\xc8\xf0\xc8"}.items():
    assert any(rgb in row for row in rows), f"no {name} colour on the screenshot"

dom = open(sys.argv[2], encoding="utf-8").read()
for text in ["alpha", "beta", "gamma", "ALLOW", "DENY", "UNDECIDED", "Readiness matrix", "site-pair-unhealthy"]:
    assert text in dom, f"the rendered page does not hold {text!r}"
assert 'id="filters" hidden' not in dom, "the script did not run: the tag filter is still hidden"
print("browser-check: ok (estates, decisions and matrix rendered; the tag filter is active)")
PY
