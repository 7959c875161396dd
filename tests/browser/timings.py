"""Page load times of every navigation the browser tests make.

Measurements, not assertions: the browser's own Navigation Timing
(``performance.getEntriesByType("navigation")[0]``) of each page the tests
load, by clicking or by address, grouped by kind of page. The session ends
with them in ``page-load-times.json`` and a short table in pytest's summary.
"""
from __future__ import annotations

import json
import re
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

#: The name of the function the page calls, through Playwright's binding, to
#: hand over its timing once the load event has finished.
BINDING = "__plusresilientNavigationTiming"

#: Runs in every document before its own scripts. ``loadEventEnd`` is still 0
#: inside a load listener, hence the timeout; frames other than the top one
#: are not pages of their own.
#: CKAN's search pages swap their results in place with htmx (no navigation,
#: so no Navigation Timing): those updates are timed from the request's own
#: Resource Timing, from its start to the response and to the settled page.
INIT_SCRIPT = """
(() => {
  if (window.top !== window) return;
  const send = (timing) => {
    if (typeof window.%(binding)s === "function") window.%(binding)s(timing);
  };
  window.addEventListener("load", () => setTimeout(() => {
    const [entry] = performance.getEntriesByType("navigation");
    if (!entry) return;
    send({url: location.href, type: entry.type, responseEnd: entry.responseEnd,
          domContentLoaded: entry.domContentLoadedEventEnd, loadEventEnd: entry.loadEventEnd});
  }, 0), {once: true});
  const timed = new WeakSet();
  document.addEventListener("htmx:afterSettle", (event) => {
    const request = event.detail && event.detail.xhr;
    if (!request || timed.has(request) || !request.responseURL) return;
    timed.add(request);
    const entries = performance.getEntriesByName(request.responseURL);
    const entry = entries[entries.length - 1];
    if (!entry) return;
    const settled = performance.now() - entry.startTime;
    send({url: location.href, type: "htmx", responseEnd: entry.responseEnd - entry.startTime,
          domContentLoaded: settled, loadEventEnd: settled});
  });
})();
""" % {"binding": BINDING}

METRICS = ("responseEnd", "domContentLoaded", "loadEventEnd")
LOCALE_PREFIX = re.compile(r"^/(en|it|es|fr|sl|hr|el|pt)(?=/|$)")

# path (without its locale prefix) -> kind of page; the first match wins
PAGE_KINDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), kind) for pattern, kind in (
        (r"^/?$", "home"),
        (r"^/dataset/?$", "dataset search"),
        (r"^/dataset/[^/]+/quality/?$", "quality report"),
        (r"^/dataset/[^/]+/?$", "dataset"),
        (r"^/quality/?$", "quality dashboard"),
        (r"^/training/?$", "training search"),
        (r"^/training/[^/]+/?$", "training"),
        (r"^/use-cases?/?$", "use-case search"),
        (r"^/use-case/[^/]+/?$", "use case"),
        (r"^/feedback/queue/?$", "moderation queue"),
        (r"^/dashboard/feedback/?$", "my feedback"),
        (r"^/user/login/?$", "login"),
        (r"^/(dashboard|user)(/|$)", "user pages"),
        (r"^/portals/?$", "portals"),
    ))


def page_kind(url: str) -> str:
    """The kind of page a URL shows, whatever its language prefix."""
    path = LOCALE_PREFIX.sub("", urlsplit(url).path) or "/"
    for pattern, kind in PAGE_KINDS:
        if pattern.search(path):
            return kind
    return "other: /" + path.strip("/").split("/", 1)[0]


@dataclass
class Sample:
    kind: str
    url: str
    test: str
    type: str
    responseEnd: float
    domContentLoaded: float
    loadEventEnd: float


@dataclass
class PageLoadTimes:
    """Every sample of the session, by kind of page."""

    samples: list[Sample] = field(default_factory=list)

    def record(self, test: str, timing: dict[str, Any]) -> None:
        kind = page_kind(timing["url"])
        if timing.get("type") == "htmx":
            kind += " (htmx update)"
        self.samples.append(Sample(
            kind=kind, url=timing["url"], test=test,
            type=str(timing.get("type", "")),
            **{metric: round(float(timing.get(metric) or 0.0), 1) for metric in METRICS}))

    def summary(self) -> dict[str, dict[str, Any]]:
        """Per kind of page: n, and median and max of each metric (ms)."""
        kinds: dict[str, list[Sample]] = {}
        for sample in self.samples:
            kinds.setdefault(sample.kind, []).append(sample)
        return {
            kind: {
                "n": len(samples),
                **{metric: {"median": round(statistics.median(getattr(s, metric) for s in samples), 1),
                            "max": round(max(getattr(s, metric) for s in samples), 1)}
                   for metric in METRICS},
            }
            for kind, samples in sorted(kinds.items())
        }

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "unit": "ms since navigation start (htmx updates: since their request started)",
            "metrics": {
                "responseEnd": "last byte of the HTML received",
                "domContentLoaded": "domContentLoadedEventEnd (htmx updates: swapped and settled)",
                "loadEventEnd": "load event finished: scripts, styles, images (htmx updates: settled)",
            },
            "pages": self.summary(),
            "samples": [asdict(sample) for sample in self.samples],
        }
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")

    def table(self) -> list[str]:
        """The summary as lines of text: page, n, median and max load time."""
        header = ("page", "n", "response med", "DOM ready med", "load med", "load max")
        rows = [header] + [
            (kind, str(stats["n"]), f'{stats["responseEnd"]["median"]:.0f} ms',
             f'{stats["domContentLoaded"]["median"]:.0f} ms',
             f'{stats["loadEventEnd"]["median"]:.0f} ms', f'{stats["loadEventEnd"]["max"]:.0f} ms')
            for kind, stats in self.summary().items()
        ]
        widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
        return ["  ".join(cell.ljust(width) if column == 0 else cell.rjust(width)
                          for column, (cell, width) in enumerate(zip(row, widths)))
                for row in rows]
