#!/usr/bin/env bash
# Opens a report.html in a real headless browser (Chromium, driven by Playwright) and checks that it stands alone:
# no network request and no failed load of any kind, every image decoded (naturalWidth > 0), the page title, no
# console error; then saves a full-page screenshot (a narrow one too) to look at. Not needed by the product or
# its tests (tests/test_html.rs checks the page structurally); this is the check by a browser.
#
#   scripts/check-html.sh REPORT.html [SCREENSHOT.png]     # default screenshot: REPORT.html.png beside it
#
# Needs: a Chromium (`apt-get install -y chromium`, or set CHROMIUM=/path/to/chrome) and Playwright for Python
# (`pip install playwright`; its own browser download is not needed: the system Chromium is used).
set -euo pipefail
if [[ $# -lt 1 || ! -f $1 ]]; then
  sed -n 2,10p "$0"
  exit 2
fi
html=$(realpath "$1")
shot=${2:-$html.png}
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}
if [[ -z $chromium ]]; then
  echo "check-html: no Chromium found; apt-get install -y chromium (or set CHROMIUM)" >&2
  exit 2
fi
if ! python3 -c 'import playwright' 2>/dev/null; then
  echo "check-html: Playwright for Python is missing; pip install playwright" >&2
  exit 2
fi
exec python3 - "$html" "$shot" "$chromium" <<'PY'
import pathlib
import sys

from playwright.sync_api import sync_playwright

html, shot, chromium = sys.argv[1], sys.argv[2], sys.argv[3]
url = pathlib.Path(html).as_uri()
problems, requests = [], []
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    # Every request except the page itself and its data: URIs would be a load from outside the file.
    page.on("request", lambda r: requests.append(r.url))
    page.on("requestfailed", lambda r: problems.append(f"failed load: {r.url[:80]} ({r.failure})"))
    page.on("console", lambda m: m.type == "error" and problems.append(f"console error: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.goto(url, wait_until="load")
    outside = [u for u in requests if u != url and not u.startswith("data:")]
    problems += [f"request outside the file: {u}" for u in outside]
    title = page.title()
    if not title.startswith("Stance report: "):
        problems.append(f"unexpected title: {title!r}")
    images = page.eval_on_selector_all(
        "img", "els => els.map(e => [e.alt, e.complete, e.naturalWidth, e.naturalHeight, e.src.slice(0, 22)])"
    )
    if not images:
        problems.append("no image on the page")
    for alt, complete, w, h, src in images:
        if not complete or w == 0 or h == 0:
            problems.append(f"image '{alt}' did not decode ({src}…)")
        if not src.startswith("data:image/png"):
            problems.append(f"image '{alt}' is not embedded ({src}…)")
    scripts = page.eval_on_selector_all("script", "els => els.length")
    if scripts:
        problems.append(f"{scripts} script element(s)")
    # A wide table must scroll inside its box, not widen the page.
    page_width = page.evaluate("document.documentElement.scrollWidth")
    if page_width > 1280:
        problems.append(f"the page is {page_width}px wide in a 1280px window")
    tables = page.eval_on_selector_all("div.table > table", "els => els.length")
    page.screenshot(path=shot, full_page=True)
    narrow = shot[:-4] + "-narrow.png" if shot.endswith(".png") else shot + "-narrow.png"
    page.set_viewport_size({"width": 420, "height": 900})
    narrow_width = page.evaluate("document.documentElement.scrollWidth")
    if narrow_width > 420:
        problems.append(f"the page is {narrow_width}px wide in a 420px window")
    page.screenshot(path=narrow, full_page=False)
    browser.close()
print(f"title: {title}")
print(f"requests: {len(requests)} (outside the file: {len(outside)})")
print(f"images: {len(images)}, decoded: {sum(1 for i in images if i[1] and i[2] > 0)} "
      f"({', '.join(f'{a} {w}x{h}' for a, _, w, h, _ in images)})")
print(f"tables: {tables} (each in a scrolling box); page width {page_width}px at 1280, {narrow_width}px at 420")
print(f"screenshots: {shot}, {narrow}")
if problems:
    print("FAIL:\n  " + "\n  ".join(problems))
    sys.exit(1)
print("OK: self-contained, every image decoded")
PY
