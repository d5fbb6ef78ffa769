"""Server-side SVG charts of the dashboard pages: daily trend, funnel, best hours, latency.

Each function takes the plain data a selector returns and gives accessible inline SVG markup:
`role="img"` (`role="figure"` when its marks link somewhere: an image's children are not
focusable) with a <title> and a <desc> that says in words what the chart shows, text labels on
the axes, and a <title> on every mark (the browser's tooltip). Drawing on the server means no
charting library, nothing from a CDN, and charts that show without JavaScript. Every chart sits
next to a table of its numbers on the page, so nothing is only in a picture.
"""

import itertools
import math
from datetime import date

from django.utils.html import escape
from django.utils.safestring import mark_safe

from voiceagent.formats import indian_number, percent

WIDTH = 640
# The width of the phone-sized variant of a chart (drawn for screens under 600 px, where the wide
# one would shrink its text below 12 px): about a phone's content width, so it is not scaled.
NARROW = 330
FONT = 'font-family="inherit" font-size="12"'
# Sequential blues with enough contrast between neighbours (ColorBrewer "Blues", 5 classes).
HEAT_COLOURS = ("#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
NO_DATA_COLOUR = "#eceff3"
MADE, ANSWERED, QUALIFIED = "#b6d4f2", "#3b7dd8", "#1a7f37"
STT, LLM, TTS = "#6f42c1", "#0a58ca", "#bf8700"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_ids = itertools.count(1)


def nice_ceiling(value, ticks=4):
    """The smallest 1/2/5×10ⁿ step whose `ticks` multiples cover value; (top, step)."""
    if value <= 0:
        return ticks, 1
    raw = value / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        step = factor * magnitude
        if step * ticks >= value:
            break
    step = max(1, int(step)) if step >= 1 else step
    return step * ticks, step


def responsive(wide, narrow):
    """Both variants of a chart: CSS shows the wide one from 600 px up, the narrow one below."""
    if not wide:
        return ""
    return mark_safe(
        f'<div class="chart-wrap chart-wide">{wide}</div>'
        f'<div class="chart-wrap chart-narrow">{narrow}</div>'
    )


def _svg(*, title, desc, height, body, css_class="chart", width=WIDTH):
    uid = next(_ids)
    # A screen reader treats an image as one opaque thing, so the links of a chart drawn with
    # drill-down links would be out of reach: such a chart is a figure holding them.
    role = "figure" if any('class="chart-link"' in part for part in body) else "img"
    return mark_safe(
        f'<svg class="{css_class}" viewBox="0 0 {width} {height}" role="{role}" '
        f'aria-labelledby="chart-t{uid} chart-d{uid}" preserveAspectRatio="xMidYMid meet" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart-t{uid}">{escape(title)}</title>'
        f'<desc id="chart-d{uid}">{escape(desc)}</desc>{"".join(body)}</svg>'
    )


def _text(x, y, text, *, anchor="start", fill="#1b1f24", extra=""):
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}" {FONT} {extra}>'
        f"{escape(text)}</text>"
    )


def _rect(x, y, width, height, fill, tip=None, extra=""):
    tip_markup = f"<title>{escape(tip)}</title>" if tip else ""
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 0):.1f}" height="{max(height, 0):.1f}" '
        f'fill="{fill}" {extra}>{tip_markup}</rect>'
    )


def _legend(items, y, x=48):
    parts = []
    for colour, name in items:
        parts.append(_rect(x, y - 10, 12, 12, colour))
        parts.append(_text(x + 17, y, name))
        x += 30 + 7.4 * len(name)
    return parts


def _day(value):
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _linked(url, label):
    """Opens an SVG link to `url` (the calls behind a chart point), or nothing without one."""
    if not url:
        return ""
    return f'<a href="{escape(url)}" aria-label="{escape(label)}" class="chart-link">'


def daily_trend(stats, *, day_url=None, width=WIDTH):
    """Calls made, answered and qualified per day as nested bars (qualified ⊆ answered ⊆ made);
    with `day_url(date)`, each day with calls links to the calls behind it. At `NARROW` width
    the legend starts at the left edge and fewer days are labelled, so the whole chart (axis and
    legend included) fits a phone without scrolling."""
    narrow = width < WIDTH
    stats = list(stats)
    if not stats:
        return ""
    days = [_day(row["date"]) for row in stats]
    made = [int(row.get("calls_made") or 0) for row in stats]
    answered = [int(row.get("calls_answered") or 0) for row in stats]
    qualified = [int(row.get("calls_qualified") or 0) for row in stats]
    top, step = nice_ceiling(max(made + [1]))
    left, right, plot_top, plot_bottom = 44, width - 8, 28, 190
    slot = (right - left) / len(stats)
    bar = max(2.0, slot * 0.7)
    scale = (plot_bottom - plot_top) / top
    body = _legend(
        [(MADE, "Calls made"), (ANSWERED, "Answered"), (QUALIFIED, "Qualified")],
        y=14,
        x=4 if narrow else 48,
    )
    for tick in range(0, int(top / step) + 1):
        value = tick * step
        y = plot_bottom - value * scale
        body.append(
            f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d7de" '
            f'stroke-width="1"/>'
        )
        body.append(_text(left - 6, y + 4, indian_number(value), anchor="end", fill="#57606a"))
    label_every = max(1, math.ceil(len(stats) / (4 if narrow else 7)))
    for index, day in enumerate(days):
        x = left + index * slot + (slot - bar) / 2
        tip = (
            f"{day:%a %d %b}: {indian_number(made[index])} made, "
            f"{indian_number(answered[index])} answered, {indian_number(qualified[index])} "
            "qualified"
        )
        link = _linked(day_url(day) if day_url and made[index] else None, f"Calls of {day:%d %b}")
        body.append(f'{link}<g data-day="{day.isoformat()}"><title>{escape(tip)}</title>')
        for values, colour in ((made, MADE), (answered, ANSWERED), (qualified, QUALIFIED)):
            height = values[index] * scale
            body.append(_rect(x, plot_bottom - height, bar, height, colour))
        body.append("</g></a>" if link else "</g>")
        # Counted back from the last day, so today always has its label.
        if (len(stats) - 1 - index) % label_every == 0:
            body.append(
                _text(
                    x + bar / 2, plot_bottom + 16, f"{day:%d %b}", anchor="middle", fill="#57606a"
                )
            )
    busiest = max(range(len(stats)), key=lambda i: made[i])
    desc = (
        f"{len(stats)} days from {days[0]:%d %b %Y} to {days[-1]:%d %b %Y}: "
        f"{indian_number(sum(made))} calls made, {indian_number(sum(answered))} answered, "
        f"{indian_number(sum(qualified))} qualified."
    )
    if made[busiest]:
        desc += f" Busiest day {days[busiest]:%d %b} with {indian_number(made[busiest])} calls."
    return _svg(title="Calls per day", desc=desc, height=214, body=body, width=width)


def funnel(steps):
    """The lead funnel as an HTML list, one row a step: its name, a bar, its count of leads and
    the conversion from the step before. HTML text keeps its 13 px and wraps on a phone, where
    an SVG scaled to the width shrank the labels and cut the values; the bars alone are SVG
    (attributes, no inline style, so the pages' strict CSP holds)."""
    steps = list(steps)
    if not steps:
        return ""
    first = max(int(steps[0]["count"] or 0), 1)
    rows, words = [], []
    for index, step in enumerate(steps):
        count = int(step["count"] or 0)
        rate = step.get("step_rate")
        rate_text = "" if index == 0 or rate is None else f" · {percent(rate)} of previous"
        tip = f"{step['label']}: {indian_number(count)} leads{rate_text}"
        width = 100 * count / first
        bar = (
            '<svg class="funnel-bar" viewBox="0 0 100 10" preserveAspectRatio="none" '
            f'aria-hidden="true"><rect x="0" y="0" width="{width:.2f}" height="10" '
            f'fill="{ANSWERED}"/></svg>'
        )
        rows.append(
            f'<li title="{escape(tip)}"><span class="funnel-label">{escape(step["label"])}</span>'
            f'{bar}<span class="funnel-count">{indian_number(count)}</span>'
            f'<span class="funnel-rate">{"" if index == 0 or rate is None else percent(rate)}'
            "</span></li>"
        )
        words.append(f"{step['label']} {indian_number(count)}")
    desc = "Funnel in leads: " + ", then ".join(words) + "."
    return mark_safe(f'<ol class="funnel" aria-label="{escape(desc)}">{"".join(rows)}</ol>')


def heat_colour(rate):
    if rate is None:
        return NO_DATA_COLOUR
    index = min(len(HEAT_COLOURS) - 1, int(float(rate) // (100 / len(HEAT_COLOURS))))
    return HEAT_COLOURS[index]


def _hour_tip(name, hour, cell):
    calls = int(cell["calls_made"]) if cell else 0
    tip = f"{name} {hour:02d}:00–{(hour + 1) % 24:02d}:00: "
    if not calls:
        return tip + "no calls"
    tip += f"{indian_number(calls)} calls, answer rate {percent(cell.get('answer_rate'))}"
    if cell.get("qualification_rate") is not None:
        tip += f", qualification rate {percent(cell['qualification_rate'])}"
    return tip


def best_hours(cells, *, cell_url=None, transposed=False):
    """Answer rate by weekday × hour of day, in the page's zone: weekdays as rows (Monday first)
    and hours as columns, or `transposed` (for phones) hours as rows and weekdays as columns, so
    all 24 hours show at a readable size on a narrow screen.

    `cells` are the best-hours selector's slots: weekday (ISO, 1 = Monday), hour (0–23),
    calls_made, answer_rate and qualification_rate; hours without calls are drawn grey.
    """
    grid = {(int(c["weekday"]) - 1, int(c["hour"])): c for c in cells}
    width = NARROW if transposed else WIDTH
    if transposed:
        left, top, cell_w, cell_h = 44, 24, (NARROW - 50) / 7, 18
    else:
        left, top = 40, 34
        cell_w = cell_h = (WIDTH - 48) / 24
    body = []
    if transposed:
        for weekday, name in enumerate(WEEKDAYS):
            body.append(_text(left + weekday * cell_w + cell_w / 2, top - 8, name,
                              anchor="middle"))  # fmt: skip
        for hour in range(24):
            body.append(_text(left - 6, top + hour * cell_h + cell_h * 0.75, f"{hour:02d}:00",
                              anchor="end", fill="#57606a"))  # fmt: skip
    else:
        for hour in range(0, 24, 3):
            body.append(_text(left + hour * cell_w + cell_w / 2, top - 6, f"{hour:02d}",
                              anchor="middle", fill="#57606a"))  # fmt: skip
        for weekday, name in enumerate(WEEKDAYS):
            body.append(_text(left - 6, top + weekday * cell_h + cell_h * 0.7, name, anchor="end"))
    for weekday, name in enumerate(WEEKDAYS):
        for hour in range(24):
            cell = grid.get((weekday, hour))
            calls = int(cell["calls_made"]) if cell else 0
            rate = cell.get("answer_rate") if cell and calls else None
            tip = _hour_tip(name, hour, cell)
            column, row = (weekday, hour) if transposed else (hour, weekday)
            link = _linked(cell_url(weekday + 1, hour) if cell_url and calls else None, tip)
            body.append(
                link
                + _rect(left + column * cell_w + 1, top + row * cell_h + 1, cell_w - 2,
                        cell_h - 2, heat_colour(rate), tip, extra='rx="2"')
                + ("</a>" if link else "")
            )  # fmt: skip
    rows = 24 if transposed else 7
    legend_y = top + rows * cell_h + 22
    bands = [(NO_DATA_COLOUR, "no calls")] + [
        (colour, f"{i * 20}–{(i + 1) * 20}%") for i, colour in enumerate(HEAT_COLOURS)
    ]
    body.append(_text(4 if transposed else left, legend_y, "Answer rate:", fill="#57606a"))
    x = 4 + 86 if transposed else left + 86
    for colour, name in bands:
        step = 26 + 7.4 * len(name)
        if x + step > width:  # the narrow chart's legend continues on a second line
            x, legend_y = 4 + 86, legend_y + 18
        body.append(_rect(x, legend_y - 10, 12, 12, colour, extra='stroke="#afb8c1"'))
        body.append(_text(x + 16, legend_y, name, fill="#57606a"))
        x += step
    busy = [c for c in grid.values() if int(c["calls_made"])]
    if busy:
        best = max(busy, key=lambda c: (float(c["answer_rate"] or 0), int(c["calls_made"])))
        desc = (
            f"Answer rate by weekday and hour for {len(busy)} hours with calls. Best: "
            f"{WEEKDAYS[int(best['weekday']) - 1]} {int(best['hour']):02d}:00 with "
            f"{percent(best['answer_rate'])} of {indian_number(best['calls_made'])} calls answered."
        )
    else:
        desc = "No calls in this period, so no hours to compare yet."
    return _svg(title="Best hours to call", desc=desc, height=int(legend_y + 10), body=body,
                width=width)  # fmt: skip


def latency_per_turn(turns):
    """Stacked bars of each agent turn's speech-to-text, LLM and text-to-speech milliseconds."""
    turns = [t for t in turns if any(t.get(k) for k in ("stt_ms", "llm_ms", "tts_ms"))]
    if not turns:
        return ""
    totals = [sum(int(t.get(k) or 0) for k in ("stt_ms", "llm_ms", "tts_ms")) for t in turns]
    top, step = nice_ceiling(max(totals))
    left, right, plot_top, plot_bottom = 76, WIDTH - 8, 28, 180
    slot = (right - left) / len(turns)
    bar = max(3.0, min(slot * 0.7, 40))
    scale = (plot_bottom - plot_top) / top
    body = _legend([(STT, "Speech-to-text"), (LLM, "LLM"), (TTS, "Text-to-speech")], y=14)
    for tick in range(0, int(top / step) + 1):
        y = plot_bottom - tick * step * scale
        body.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d7de"/>')
        body.append(
            _text(left - 6, y + 4, f"{indian_number(tick * step)} ms", anchor="end", fill="#57606a")
        )
    label_every = max(1, math.ceil(len(turns) / 12))
    for index, turn in enumerate(turns):
        x = left + index * slot + (slot - bar) / 2
        y = plot_bottom
        tip = f"Turn {turn['sequence']}: " + ", ".join(
            f"{name} {indian_number(turn.get(key) or 0)} ms"
            for key, name in (("stt_ms", "STT"), ("llm_ms", "LLM"), ("tts_ms", "TTS"))
        )
        body.append(f"<g><title>{escape(tip)}</title>")
        for key, colour in (("stt_ms", STT), ("llm_ms", LLM), ("tts_ms", TTS)):
            height = int(turn.get(key) or 0) * scale
            y -= height
            body.append(_rect(x, y, bar, height, colour))
        body.append("</g>")
        if index % label_every == 0:
            body.append(
                _text(x + bar / 2, plot_bottom + 16, f"#{turn['sequence']}", anchor="middle",
                      fill="#57606a")
            )  # fmt: skip
    slowest = max(range(len(turns)), key=lambda i: totals[i])
    desc = (
        f"AI latency of {len(turns)} turns; mean {indian_number(sum(totals) / len(totals))} ms "
        f"per turn, slowest turn {turns[slowest]['sequence']} with "
        f"{indian_number(totals[slowest])} ms."
    )
    return _svg(title="Latency per turn", desc=desc, height=204, body=body)


def latency_histogram(buckets):
    """How many turns took how long (total of STT, LLM and TTS), one bar per bucket."""
    buckets = list(buckets)
    if not buckets or not any(b["count"] for b in buckets):
        return ""
    top, step = nice_ceiling(max(int(b["count"]) for b in buckets))
    left, right, plot_top, plot_bottom = 44, WIDTH - 8, 12, 170
    slot = (right - left) / len(buckets)
    scale = (plot_bottom - plot_top) / top
    body = []
    for tick in range(0, int(top / step) + 1):
        y = plot_bottom - tick * step * scale
        body.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d7de"/>')
        body.append(
            _text(left - 6, y + 4, indian_number(tick * step), anchor="end", fill="#57606a")
        )
    for index, bucket in enumerate(buckets):
        height = int(bucket["count"]) * scale
        x = left + index * slot + slot * 0.1
        tip = f"{bucket['label']}: {indian_number(bucket['count'])} turns"
        body.append(_rect(x, plot_bottom - height, slot * 0.8, height, LLM, tip))
        body.append(
            _text(x + slot * 0.4, plot_bottom + 16, bucket["label"], anchor="middle",
                  fill="#57606a")
        )  # fmt: skip
    total = sum(int(b["count"]) for b in buckets)
    desc = f"{indian_number(total)} turns by total AI latency: " + ", ".join(
        f"{b['label']} {indian_number(b['count'])}" for b in buckets
    )
    return _svg(title="Latency distribution", desc=desc + ".", height=194, body=body)


def variant_intervals(variants):
    """Each script variant's qualification rate (a dot) inside its 95% Wilson interval (a bar),
    on one percent scale: overlapping bars are a hint that the difference may be noise."""
    variants = list(variants)
    if not variants:
        return ""
    top, step = nice_ceiling(max(max(v["ci_high"] for v in variants), 1))
    top = min(top, 100)
    row, left, label_width = 30, 8, 150
    bar_left, bar_right = left + label_width, WIDTH - 20

    def x(value):
        return bar_left + (bar_right - bar_left) * min(value, top) / top

    body, words = [], []
    for index, variant in enumerate(variants):
        y = 8 + index * row
        name = variant["variant"]
        tip = (
            f"{name}: {percent(variant['qualification_rate'])} qualified, 95% interval "
            f"{percent(variant['ci_low'])}–{percent(variant['ci_high'])}"
        )
        body.append(_text(left, y + 16, name[:24]))
        low, high = x(variant["ci_low"]), x(variant["ci_high"])
        body.append(_rect(low, y + 6, max(high - low, 2), row - 14, "#9ec5fe", tip))
        body.append(
            f'<circle cx="{x(variant["qualification_rate"]):.1f}" cy="{y + row / 2 - 1:.1f}" '
            f'r="4" fill="#0a3069"><title>{escape(tip)}</title></circle>'
        )
        words.append(tip)
    axis_y = 8 + len(variants) * row
    body.append(
        f'<line x1="{bar_left}" y1="{axis_y}" x2="{bar_right}" y2="{axis_y}" stroke="#d0d7de"/>'
    )
    tick = 0
    while tick <= top:
        body.append(_text(x(tick), axis_y + 14, f"{tick:g}%", anchor="middle", fill="#57606a"))
        tick += step
    desc = "Qualification rate per script variant with its 95% interval: " + "; ".join(words) + "."
    return _svg(title="Script variants", desc=desc, height=axis_y + 22, body=body)
