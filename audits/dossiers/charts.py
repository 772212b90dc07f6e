"""Charts of the provincial report, drawn by matplotlib as SVG.

Deterministic: no date in the metadata, a fixed id salt, glyphs as paths in the font matplotlib
ships (DejaVu Sans), so the same rows give the same bytes on any machine with the same matplotlib,
and no system font decides what the reader sees. The SVG goes into the HTML as a data URI image,
which WeasyPrint draws into the PDF as vectors.
"""
from __future__ import annotations

import base64
import io
from decimal import Decimal

MET, BELOW, TARGET, PROVINCE = "#2e7d32", "#1f3a5f", "#c0392b", "#5b7fa6"
WIDTH_IN = 6.6  # the text width of an A4 page with the report's margins (178 mm) is 7.0 in

RC = {
    "svg.hashsalt": "patuh",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.linewidth": 0.6,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0,
}


def _pct_text(v: Decimal, lang: str) -> str:
    s = f"{v:.2f}"
    return f"{s}%" if lang == "en" else s.replace(".", ",") + " %"


def coverage_bars(bars: list[dict], lang: str) -> str:
    """Horizontal bars of coverage % with each region's target as a red tick.

    bars: [{"label", "coverage" (Decimal), "target" (Decimal | None), "met" ("ya"/"tidak"/None),
    "province" (bool)}], top to bottom. Returns the SVG text."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    n = len(bars)
    with matplotlib.rc_context(RC):
        height = 0.26 * n + 0.75  # inches: bars, tick labels below (0.4), legend above (0.35)
        fig = Figure(figsize=(WIDTH_IN, height))
        ax = fig.add_axes((0.30, 0.40 / height, 0.62, 0.26 * n / height))
        ys = list(range(n))[::-1]
        for y, b in zip(ys, bars):
            value = float(b["coverage"]) if b["coverage"] is not None else 0.0
            colour = PROVINCE if b.get("province") else (MET if b.get("met") == "ya" else BELOW)
            ax.barh(y, value, height=0.62, color=colour, linewidth=0)
            if b["coverage"] is not None:
                ax.text(value + 1, y, _pct_text(b["coverage"], lang), va="center", ha="left", fontsize=7)
            if b.get("target") is not None:
                t = float(b["target"])
                ax.plot([t, t], [y - 0.42, y + 0.42], color=TARGET, linewidth=1.6, solid_capstyle="butt")
        ax.set_yticks(ys, [b["label"] for b in bars])
        for tick, b in zip(ax.get_yticklabels(), bars):
            if b.get("province"):
                tick.set_fontweight("bold")
        ax.set_xlim(0, 100)
        ax.set_ylim(-0.6, n - 0.4)
        ax.set_xticks(range(0, 101, 10), [f"{x}{'%' if lang == 'en' else ' %'}" for x in range(0, 101, 10)])
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="x", color="#d5dbe3", linewidth=0.5)
        ax.set_axisbelow(True)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        en = lang == "en"
        handles = [Patch(color=MET, label="target met" if en else "target tercapai"),
                   Patch(color=BELOW, label="below target" if en else "di bawah target"),
                   Line2D([], [], color=TARGET, linewidth=1.6, label="target (UCJ)")]
        ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False,
                  fontsize=7, handlelength=1.4, borderaxespad=0.3)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue()


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
