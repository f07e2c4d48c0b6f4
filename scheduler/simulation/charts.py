"""`spillway simulate report`: an HTML page with PNG charts (matplotlib) over simulated runs.

For each world: every KPI of the four policies as a table in the language
pack's words (:mod:`scheduler.simulation.kpi_text`), the rates and times side
by side in a chart against the material's traditional and AI-timed figures
(the measures ``predicted`` loses as well as those it wins), the learning curve of the contact rates
over the simulated weeks, the learned hour-of-week heatmap beside the true
one, and the reliability curve of the model's probabilities; with
``--ablation``, which data matters (:mod:`scheduler.simulation.ablation_text`):
its table and a chart of each row's first-attempt contact; with ``--frontier``,
first-attempt contact against time to contact per patience
(:mod:`scheduler.simulation.frontier_text`): its table and a chart. Every word
of the page and the charts, the policies' names among them, is the language
pack's (:mod:`scheduler.simulation.report_words`).
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from scheduler.simulation.ablation_text import AblationView
from scheduler.simulation.frontier_text import FrontierView
from scheduler.simulation.kpi_text import MATERIAL, KpiView
from scheduler.simulation.report_words import ReportWords
from scheduler.simulation.simulator import SimRun
from scheduler.simulation.world import segment_truth

# The measures charted side by side: wins and losses alike.
CHARTED = (
    "first_attempt_contact_rate",
    "contact_rate",
    "contact_within_deadline_rate",
    "mean_attempts_per_contact",
    "median_hours_to_contact",
    "mean_hours_to_contact",
)
RATES = ("first_attempt_contact_rate", "contact_rate", "contact_within_deadline_rate")


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


def _marked(words: ReportWords, *axes: Any) -> None:
    """The figures on ``axes`` (matplotlib Axis objects) with the language's decimal mark."""
    from matplotlib.ticker import FuncFormatter

    for axis in axes:
        axis.set_major_formatter(FuncFormatter(lambda value, _pos: words.tick(value)))


def kpi_chart(
    kpis: dict[str, dict[str, Any]],
    path: Path,
    title: str,
    labels: Mapping[str, str],
    material_labels: tuple[str, str],
    words: ReportWords,
) -> None:
    """Each charted KPI per policy (rates in %), the material's figures as lines."""
    plt = _plt()
    fig, axes = plt.subplots(1, len(CHARTED), figsize=(16, 4.2))
    for ax, key in zip(axes, CHARTED, strict=True):
        policies = [words.policy(p) for p in kpis]
        scale = 100.0 if key in RATES else 1.0
        values = [(k.get(key) or 0.0) * scale for k in kpis.values()]
        ax.bar(policies, values, color=["#888", "#2a7", "#58c", "#c84"][: len(policies)])
        if key in MATERIAL:
            traditional, ai = (scale * v for v in MATERIAL[key])
            ax.axhline(
                traditional, color="#444", linestyle="--", linewidth=1, label=material_labels[0]
            )
            ax.axhline(ai, color="#2a7", linestyle=":", linewidth=1.5, label=material_labels[1])
        unit = f" {words.unit_percent}" if key in RATES else ""
        unit = f" {words.unit_hours}" if "hours" in key else unit
        ax.set_title(labels.get(key, key) + unit, fontsize=8)
        ax.tick_params(axis="x", labelrotation=30, labelsize=7)
        _marked(words, ax.yaxis)
    axes[0].legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def learning_chart(
    kpis: dict[str, dict[str, Any]], path: Path, title: str, words: ReportWords
) -> None:
    """The contact rates (%) by the week of the request, a line per policy; whole weeks."""
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True)
    weeks_shown: set[int] = set()
    for policy, k in kpis.items():
        weeks = [w["week"] for w in k["weekly"]]
        weeks_shown.update(weeks)
        for ax, key in zip(axes, ("first_attempt_contact_rate", "contact_rate"), strict=True):
            rates = [100 * w[key] for w in k["weekly"]]
            ax.plot(weeks, rates, marker="o", label=words.policy(policy))
    axes[0].set_title(words.learning_first, fontsize=10)
    axes[1].set_title(words.learning_contact, fontsize=10)
    axes[0].set_ylabel(words.learning_y)
    _marked(words, axes[0].yaxis)
    for ax in axes:
        ax.set_xticks(sorted(weeks_shown))  # a week is a whole week: 1, 2, 3, never 1.5
        ax.set_xlabel(words.learning_x)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def heatmap_chart(run: SimRun, path: Path, words: ReportWords) -> None:
    """The predicted run's learned segment curve beside the true one, first segment."""
    plt = _plt()
    segment = run.world.segments[0].name
    # In percent, as a team lead reads a chance.
    truth = 100 * segment_truth(run.world)[0].reshape(7, 24)
    learned = run.model.segment_mean(segment).reshape(7, 24) if run.model else np.zeros((7, 24))
    learned = 100 * learned
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.4))
    top = float(max(truth.max(), learned.max(), 1.0))
    shown = ((axes[0], learned, words.heatmap_learned), (axes[1], truth, words.heatmap_true))
    for ax, grid, heading in shown:
        image = ax.imshow(grid, aspect="auto", cmap="viridis", vmin=0, vmax=top)
        ax.set_yticks(range(7), words.weekdays)
        ax.set_xticks(range(0, 24, 3))
        ax.set_xlabel(words.heatmap_x)
        ax.set_title(heading.format(segment=segment), fontsize=10)
    bar = fig.colorbar(image, ax=axes, shrink=0.8)
    bar.set_label(words.unit_percent)
    _marked(words, bar.ax.yaxis)
    fig.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(fig)


def reliability(run: SimRun, bins: int = 10) -> list[dict[str, float]]:
    """Predicted probability against the observed answer rate, in equal-count bins."""
    rows = [(a.predicted_p, a.answered) for a in run.attempts if a.predicted_p is not None]
    if len(rows) < bins:
        return []
    p = np.array([r[0] for r in rows])
    y = np.array([r[1] for r in rows], dtype=float)
    order = np.argsort(p)
    found = []
    for chunk in np.array_split(order, bins):
        found.append(
            {
                "predicted": round(float(p[chunk].mean()), 4),
                "observed": round(float(y[chunk].mean()), 4),
                "attempts": len(chunk),
            }
        )
    return found


def reliability_chart(
    curve: Sequence[dict[str, float]], path: Path, title: str, words: ReportWords
) -> None:
    """The predicted chances against the share answered, beside the line of a perfect fit."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.6, 4.6))
    ax.plot([0, 100], [0, 100], color="#999", linestyle="--", label=words.reliability_ideal)
    predicted = [100 * c["predicted"] for c in curve]  # in percent, as a chance is read
    observed = [100 * c["observed"] for c in curve]
    ax.plot(predicted, observed, marker="o", label=words.reliability_model)
    ax.set_xlabel(f"{words.reliability_x} {words.unit_percent}")
    ax.set_ylabel(f"{words.reliability_y} {words.unit_percent}")
    _marked(words, ax.xaxis, ax.yaxis)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def ablation_chart(view: AblationView, path: Path, words: ReportWords) -> None:
    """Each row's first-attempt contact as a bar, labelled with the share of the gap closed."""
    plt = _plt()
    lines = view.lines
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(lines) + 1.2))
    rates = [100 * line.first_attempt_contact_rate for line in lines]
    bars = ax.barh([line.label for line in lines], rates, color="#58c")
    for bar, line in zip(bars, lines, strict=True):
        ax.text(
            bar.get_width() + 0.5,
            bar.get_y() + bar.get_height() / 2,
            line.gap_closed,
            va="center",
            fontsize=8,
        )
    ax.invert_yaxis()
    ax.set_xlim(0, max([*rates, 1.0]) * 1.15)
    ax.set_xlabel(f"{view.chart_axis} {words.unit_percent}; {view.chart_note}")
    _marked(words, ax.xaxis)
    ax.tick_params(axis="y", labelsize=8)
    ax.set_title(view.title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def frontier_chart(view: FrontierView, path: Path, words: ReportWords) -> None:
    """First-attempt contact (%) against median hours to contact, a point per setting."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 4.2))
    shown = [line for line in view.lines if line.point.median_hours_to_contact is not None]
    xs = [line.point.median_hours_to_contact or 0.0 for line in shown]
    ys = [100 * line.point.first_attempt_contact_rate for line in shown]
    ordered = [
        (x, y) for x, y, line in zip(xs, ys, shown, strict=True) if line.point.patience_hours
    ]
    if ordered:
        ax.plot([x for x, _ in ordered], [y for _, y in ordered], color="#2a7", linewidth=1)
    for x, y, line in zip(xs, ys, shown, strict=True):
        traditional = line.point.patience_hours is None
        ax.plot(x, y, marker="s" if traditional else "o", color="#888" if traditional else "#2a7")
        ax.annotate(line.label, (x, y), fontsize=7, xytext=(4, 4), textcoords="offset points")
    ax.set_xlim(0, max([*xs, 1.0]) * 1.6)  # room for the labels on the right
    ax.set_xlabel(view.chart_x)
    ax.set_ylabel(f"{view.columns[1]} {words.unit_percent}")
    _marked(words, ax.xaxis, ax.yaxis)
    ax.set_title(view.title, fontsize=9)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _rows_html(header: Sequence[str], rows: Sequence[tuple[str, Sequence[str]]]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in header)
    body = "".join(
        f"<tr><th style='text-align:left'>{html.escape(label)}</th>"
        + "".join(f"<td>{html.escape(v)}</td>" for v in cells)
        + "</tr>"
        for label, cells in rows
    )
    return f"<tr>{head}</tr>{body}"


def _kpi_html(view: KpiView) -> list[str]:
    header = (view.kpi_column, *view.policies, view.material_column)
    rows = [(line.label, (*line.values, line.material)) for line in view.lines]
    return [
        f"<table><caption>{html.escape(view.title)}</caption>{_rows_html(header, rows)}</table>",
        f"<p>{html.escape(view.note)}</p>",
    ]


def _frontier_html(name: str, view: FrontierView) -> list[str]:
    rows = [(line.label, line.cells) for line in view.lines]
    return [
        f"<h3>{html.escape(view.heading)}</h3>",
        f"<table><caption>{html.escape(view.title)}</caption>"
        f"{_rows_html(view.columns, rows)}</table>",
        f"<p>{html.escape(view.note)}</p>",
        f"<img src='{name}-frontier.png'>",
    ]


def _ablation_html(name: str, view: AblationView) -> list[str]:
    shown = 4 if view.per_seed_shown else 3
    header = "".join(f"<th>{html.escape(c)}</th>" for c in view.columns[:shown])
    body = "".join(
        f"<tr><th style='text-align:left'>{html.escape(line.label)}</th>"
        + "".join(
            f"<td>{html.escape(v)}</td>"
            for v in (line.first_attempt_contact, line.gap_closed, line.gap_closed_per_seed)[
                : shown - 1
            ]
        )
        + "</tr>"
        for line in view.lines
    )
    return [
        f"<h3>{html.escape(view.heading)}</h3>",
        f"<table><caption>{html.escape(view.title)}</caption><tr>{header}</tr>{body}</table>",
        f"<p>{html.escape(view.note)}</p>",
        f"<img src='{name}-ablation.png'>",
    ]


def write_report(
    out: Path,
    worlds: Sequence[tuple[str, dict[str, dict[str, Any]], SimRun]],
    kpi_views: Mapping[str, KpiView],
    words: ReportWords,
    ablations: Mapping[str, AblationView] | None = None,
    frontiers: Mapping[str, FrontierView] | None = None,
) -> Path:
    """``worlds``: (name, KPIs by policy, the predicted run); ``kpi_views``: their KPIs in
    words, by name; ``words``: the page's and the charts'; ``ablations``, ``frontiers``:
    the ablation per data source and the patience frontier of the worlds that have one, by
    name. Returns the index.html path."""
    out.mkdir(parents=True, exist_ok=True)
    parts = [
        f"<!doctype html><html lang='{html.escape(words.lang)}'><meta charset=utf-8>"
        f"<title>{html.escape(words.title)}</title>",
        "<style>body{font-family:sans-serif;max-width:1200px;margin:auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;"
        "text-align:right}</style>",
        f"<h1>{html.escape(words.heading)}</h1>",
        f"<p>{html.escape(words.policies_note)}</p>",
    ]
    for name, kpis, predicted in worlds:
        table = kpi_views[name]
        labels = {line.key: line.label for line in table.lines}
        material = table.chart_material
        kpi_chart(kpis, out / f"{name}-kpis.png", name, labels, material, words)
        learning_chart(kpis, out / f"{name}-learning.png", name, words)
        heatmap_chart(predicted, out / f"{name}-heatmap.png", words)
        curve = reliability(predicted)
        if curve:
            title = words.reliability_title.format(world=name)
            reliability_chart(curve, out / f"{name}-reliability.png", title, words)
        no_curve = f"<p>{html.escape(words.no_reliability)}</p>"
        parts += [
            f"<h2>{html.escape(name)}</h2>",
            *_kpi_html(table),
            f"<img src='{name}-kpis.png'><img src='{name}-learning.png'>",
            f"<img src='{name}-heatmap.png'>",
            f"<img src='{name}-reliability.png'>" if curve else no_curve,
        ]
        view = (ablations or {}).get(name)
        if view is not None:
            ablation_chart(view, out / f"{name}-ablation.png", words)
            parts += _ablation_html(name, view)
        line = (frontiers or {}).get(name)
        if line is not None:
            frontier_chart(line, out / f"{name}-frontier.png", words)
            parts += _frontier_html(name, line)
        (out / f"{name}.json").write_text(json.dumps(kpis, indent=2))
    index = out / "index.html"
    index.write_text("\n".join(parts), encoding="utf-8")
    return index
