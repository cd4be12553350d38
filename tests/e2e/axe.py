"""axe-core in the browser tests (#15 item 1): run it on a page and its
frames, keep what it finds, fail on serious and critical violations.

axe comes from tests/vendor/axe-core (test-only, never served by the app).
The app's CSP allows scripts from 'self' only, so `add_script_tag(path=…)`,
which inlines the file, would be refused; the test's browser context serves
the file at a same-origin URL instead (`page.route`), and axe runs under the
very CSP users get."""

import json
import os
from collections import Counter
from pathlib import Path

from tests.e2e.fixtures import ARTIFACTS

AXE_JS = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
AXE_PATH = "/__test__/axe-core.js"  # a path the app does not have; routed to AXE_JS
REPORTS = ARTIFACTS / "accessibility"
FAILING = ("critical", "serious")
IMPACTS = ("critical", "serious", "moderate", "minor")
# Set A11Y_SCREENSHOTS=1 for a PNG of every audited page at 1366 and 390 px.
SCREENSHOT_WIDTHS = (1366, 390)

# target-size (WCAG 2.2 2.5.8, in EN 301 549 v4) is off in axe by default;
# phones are half of our customers, so it is on here.
RUN_AXE = """async () => {
  const result = await axe.run(document, {
    rules: {"target-size": {enabled: true}},
    resultTypes: ["violations", "incomplete"],
  });
  const brief = (found) => found.map((rule) => ({
    id: rule.id,
    impact: rule.impact,
    help: rule.help,
    helpUrl: rule.helpUrl,
    nodes: rule.nodes.map((node) => ({
      target: node.target.map(String),
      html: node.html.slice(0, 300),
      summary: node.failureSummary,
    })),
  }));
  return {violations: brief(result.violations), incomplete: brief(result.incomplete)};
}"""


def serve_axe(context, base: str) -> None:
    """Lets every page and frame of `context` load axe from the app's origin."""
    context.route(
        base + AXE_PATH,
        lambda route: route.fulfill(path=AXE_JS, content_type="text/javascript; charset=utf-8"),
    )


class Audit:
    """What axe found on each page one test visits, by label."""

    def __init__(self, base: str, name: str):
        self.base = base
        self.name = name
        self.pages: dict[str, list[dict]] = {}
        # What axe could not decide (e.g. contrast over an image): for a person to look at.
        self.to_review: dict[str, list[dict]] = {}

    def check(self, page, label: str) -> list[dict]:
        for frame in page.frames:
            if frame.url.startswith(self.base) and not frame.evaluate("() => Boolean(window.axe)"):
                frame.add_script_tag(url=self.base + AXE_PATH)
        found = page.evaluate(RUN_AXE)
        self._test_untested_frames(page, label, found)
        violations = self.pages[label] = found["violations"]
        self.to_review[label] = found["incomplete"]
        if os.environ.get("A11Y_SCREENSHOTS"):
            self.screenshot(page, label)
        return violations

    def _test_untested_frames(self, page, label: str, found: dict) -> None:
        """axe 4.14 run from the top cannot reach a frame whose document has
        a modal dialog open (the Flersessionsfönster's invite): such a frame
        gets a run of its own, its findings' targets prefixed with the frame's."""
        untested = [rule for rule in found["incomplete"] if rule["id"] == "frame-tested"]
        for rule in untested:
            found["incomplete"].remove(rule)
            for node in rule["nodes"]:
                handle = page.locator(" ".join(node["target"])).element_handle()
                frame = handle.content_frame() if handle else None
                if frame is None:
                    raise AssertionError(f"{label}: axe could not test {node['target']}")
                inside = frame.evaluate(RUN_AXE)
                for kind in ("violations", "incomplete"):
                    for rule_inside in inside[kind]:
                        for node_inside in rule_inside["nodes"]:
                            node_inside["target"] = node["target"] + node_inside["target"]
                    found[kind] += inside[kind]

    def screenshot(self, page, label: str) -> None:
        size = page.viewport_size
        for width in SCREENSHOT_WIDTHS:
            page.set_viewport_size({"width": width, "height": size["height"]})
            path = REPORTS / f"{self.name}-{_slug(label)}-{width}.png"
            page.screenshot(path=path, full_page=True)
        page.set_viewport_size(size)

    def counts(self) -> Counter:
        return Counter(v["impact"] for violations in self.pages.values() for v in violations)

    def failing(self) -> list[str]:
        return [
            f"{label}: {v['impact']} {v['id']} ({v['help']}) at "
            + ", ".join(" ".join(node["target"]) for node in v["nodes"][:5])
            for label, violations in self.pages.items()
            for v in violations
            if v["impact"] in FAILING
        ]

    def write(self) -> str:
        """The report: JSON and text under test-artifacts/accessibility/; returns the text."""
        REPORTS.mkdir(parents=True, exist_ok=True)
        (REPORTS / f"{self.name}.json").write_text(
            json.dumps(
                {"violations": self.pages, "incomplete": self.to_review},
                indent=1,
                ensure_ascii=False,
            )
        )
        counts = self.counts()
        lines = [
            f"axe on {len(self.pages)} pages of {self.name}: "
            + ", ".join(f"{counts[impact]} {impact}" for impact in IMPACTS)
            + f"; {sum(map(len, self.to_review.values()))} for review (incomplete, in the JSON)"
        ]
        for label, violations in self.pages.items():
            for v in sorted(violations, key=lambda v: IMPACTS.index(v["impact"])):
                targets = ", ".join(" ".join(node["target"]) for node in v["nodes"][:5])
                lines.append(f"  {label}: {v['impact']} {v['id']}: {v['help']} [{targets}]")
        text = "\n".join(lines)
        (REPORTS / f"{self.name}.txt").write_text(text + "\n")
        return text

    def assert_no_serious(self) -> None:
        print(self.write())
        failing = self.failing()
        assert not failing, "serious or critical accessibility violations:\n" + "\n".join(failing)


def _slug(label: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in label.lower()).strip("-")
