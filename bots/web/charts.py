"""The dashboard's charts, drawn on the server as SVG (matplotlib, no JavaScript): loaded by ``<img>``, so nothing
inside them can run."""

from __future__ import annotations

import io
import warnings
from statistics import median

from core.catalogue import text
from core.web_console import Dashboard

CHARTS = ("jobs", "verdicts", "backlog", "refusals")


def _figure(width: float = 6.4, height: float = 3.0):  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(width, height))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts are whole numbers
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    return plt, fig, ax


def _svg(plt, fig) -> bytes:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    fig.tight_layout()
    fig.savefig(out, format="svg")
    plt.close(fig)
    return out.getvalue()


def draw(name: str, data: Dashboard, lang: str = "en") -> bytes:
    """One chart with its titles and labels in ``lang``."""
    # Text stays text in the SVG (not glyph outlines): the browser draws it with its own fonts, so a Chinese title
    # shows even though matplotlib's bundled font has no Chinese glyphs (its warnings about them are moot here).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from")
        import matplotlib

        with matplotlib.rc_context({"svg.fonttype": "none"}):
            return _draw(name, data, lang)


def _draw(name: str, data: Dashboard, lang: str) -> bytes:
    plt, fig, ax = _figure()
    none = [text("chart_none", lang)]
    if name == "jobs":
        ax.bar([f"{h:%H}" for h, _ in data.jobs_per_hour], [n for _, n in data.jobs_per_hour], color="#2f80ed")
        ax.set_title(text("chart_jobs", lang))
    elif name == "verdicts":
        labels = sorted(data.verdicts) or none
        left = [0] * len(labels)
        for decision, colour in (("allow", "#27ae60"), ("review", "#f2994a"), ("block", "#eb5757")):
            counts = [data.verdicts.get(label, {}).get(decision, 0) for label in labels]
            ax.barh(labels, counts, left=left, color=colour, label=text(f"chart_{decision}", lang))
            left = [a + b for a, b in zip(left, counts, strict=True)]
        ax.legend(loc="lower right", fontsize=8)
        ax.set_title(text("chart_verdicts", lang))
    elif name == "backlog":
        waits = data.decision_minutes
        ax.hist(waits or [0], bins=12, color="#9b51e0")
        middle = text("chart_minutes", lang, minutes=f"{median(waits):.1f}") if waits \
            else text("chart_no_decisions", lang)
        ax.set_title(text("chart_backlog", lang, median=middle, waiting=data.backlog))
        ax.set_xlabel(text("chart_backlog_axis", lang))
    else:
        labels = sorted(data.refusals, key=lambda k: -data.refusals[k]) or none
        ax.barh(labels, [data.refusals.get(label, 0) for label in labels], color="#eb5757")
        ax.set_title(text("chart_refusals", lang))
    return _svg(plt, fig)
