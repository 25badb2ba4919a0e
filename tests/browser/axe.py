"""axe-core in the browser: serious and critical violations fail the test.

axe.min.js ships inside the axe-playwright-python package; it is read from there (no CDN, no
download) and injected into each page before running.
"""

import json
from pathlib import Path

import axe_playwright_python

AXE_JS = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
FAILING_IMPACTS = {"serious", "critical"}
# Everything axe knows except experimental rules: WCAG 2.0-2.2 A/AA and best practices.
# "incomplete" results are kept whole for the invisible-text check below.
AXE_OPTIONS = {"resultTypes": ["violations", "incomplete"]}


def format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"axe found {len(violations)} serious or critical violation(s) on {url}:"]
    for violation in violations:
        lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"][:10]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"    at {target}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary[:300]}")
        if len(violation["nodes"]) > 10:
            lines.append(f"    … and {len(violation['nodes']) - 10} more")
    return "\n".join(lines)


def invisible_text(incomplete: list[dict]) -> list[dict]:
    """Text drawn in the colour of its background, as a serious violation.

    axe reports a 1:1 contrast as "needs review" rather than a violation, because some sites
    hide text that way on purpose. Essaim never does (it hides text with .visually-hidden,
    which axe skips), so here it is a bug: a white-on-white button once slipped through.
    """
    for result in incomplete:
        if result["id"] != "color-contrast":
            continue
        nodes = [
            node
            for node in result["nodes"]
            if any(c.get("data", {}).get("messageKey") == "equalRatio" for c in node["any"])
        ]
        if nodes:
            return [
                {
                    "id": "color-contrast-invisible",
                    "impact": "serious",
                    "help": "Text has the same colour as its background (1:1 contrast)",
                    "helpUrl": result["helpUrl"],
                    "nodes": nodes,
                }
            ]
    return []


def run_axe(page) -> list[dict]:
    """All violations axe finds on the page as it is now (any impact)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS)
    results = page.evaluate(f"axe.run(document, {json.dumps(AXE_OPTIONS)})")
    return results["violations"] + invisible_text(results["incomplete"])


def assert_accessible(page) -> list[dict]:
    """Fails on serious/critical violations; returns the minor/moderate ones for reporting."""
    violations = run_axe(page)
    blocking = [v for v in violations if v.get("impact") in FAILING_IMPACTS]
    assert not blocking, format_violations(page.url, blocking)
    return [v for v in violations if v.get("impact") not in FAILING_IMPACTS]


class AxeChecker:
    """Remembers which loaded pages were checked, so that a journey cannot skip one."""

    def __init__(self):
        self.pending: dict[int, list[str]] = {}
        self.checked: list[str] = []
        self.minor: dict[str, list[str]] = {}

    def loaded(self, page) -> None:
        self.pending.setdefault(id(page), []).append(page.url)

    def check(self, page) -> None:
        loads = self.pending.get(id(page), [])
        if loads:
            # Only the page now shown can be checked; earlier loads stay pending and are
            # reported as unchecked at the end of the test.
            loads.pop()
        for violation in assert_accessible(page):
            self.minor.setdefault(violation["id"], []).append(page.url)
        self.checked.append(page.url)

    def unchecked(self) -> list[str]:
        return [url for loads in self.pending.values() for url in loads]
