"""Server-side SVG charts: accessible titles and descriptions that state the numbers drawn."""

import re
from datetime import date

from analytics import charts


def day(n, made, answered, qualified):
    return {"date": date(2025, 3, n), "calls_made": made, "calls_answered": answered,
            "calls_qualified": qualified}  # fmt: skip


def test_daily_trend_describes_its_totals_and_busiest_day():
    svg = charts.daily_trend([day(1, 4, 2, 1), day(2, 10, 6, 2), day(3, 0, 0, 0)])
    assert 'role="img"' in svg
    assert "<title id=" in svg and ">Calls per day</title>" in svg
    assert (
        "3 days from 01 Mar 2025 to 03 Mar 2025: 14 calls made, 8 answered, 3 qualified. "
        "Busiest day 02 Mar with 10 calls." in svg
    )
    assert "<title>Sun 02 Mar: 10 made, 6 answered, 2 qualified</title>" in svg


def test_a_chart_whose_days_link_to_their_calls_is_a_figure_holding_the_links():
    svg = charts.daily_trend(
        [day(1, 4, 2, 1), day(2, 0, 0, 0)], day_url=lambda d: f"/calls/?from={d}&to={d}"
    )
    assert svg.startswith('<svg class="chart" viewBox="0 0 640 214" role="figure" ')
    assert 'role="img"' not in svg
    assert svg.count('class="chart-link"') == 1
    assert '<a href="/calls/?from=2025-03-01&amp;to=2025-03-01" aria-label="Calls of 01 Mar"' in svg


def test_daily_trend_bars_are_nested_and_scaled_to_the_axis():
    svg = charts.daily_trend([day(1, 8, 4, 2)])
    heights = [
        float(h)
        for h in re.findall(
            r'<rect x="[^"]+" y="[^"]+" width="[^"]+" height="([^"]+)" fill="#', svg
        )[3:]
    ]
    assert heights == [162.0, 81.0, 40.5]


def test_no_days_draw_no_chart():
    assert charts.daily_trend([]) == ""


def test_funnel_states_each_step_with_its_conversion():
    svg = charts.funnel(
        [{"label": "Valid leads", "count": 200, "step_rate": 100.0},
         {"label": "Answered", "count": 120, "step_rate": 60.0},
         {"label": "Qualified", "count": 30, "step_rate": 25.0}]
    )  # fmt: skip
    assert (
        'aria-label="Funnel in leads: Valid leads 200, then Answered 120, then Qualified 30."'
        in svg
    )
    assert '<li title="Answered: 120 leads · 60.00% of previous">' in svg
    assert '<span class="funnel-count">120</span><span class="funnel-rate">60.00%</span>' in svg
    assert 'width="60.00" height="10"' in svg  # the bar: 120 of 200


def test_best_hours_names_the_best_hour_and_greys_hours_without_calls():
    slots = [
        {
            "weekday": 2,
            "hour": 11,
            "calls_made": 20,
            "answer_rate": 75.0,
            "qualification_rate": 20.0,
        },
        {
            "weekday": 5,
            "hour": 18,
            "calls_made": 10,
            "answer_rate": 40.0,
            "qualification_rate": 0.0,
        },
    ]
    svg = charts.best_hours(slots)
    assert "Best: Tue 11:00 with 75.00% of 20 calls answered." in svg
    assert (
        "<title>Tue 11:00–12:00: 20 calls, answer rate 75.00%, qualification rate 20.00%</title>"
        in svg
    )
    assert svg.count(f'fill="{charts.NO_DATA_COLOUR}"') == 7 * 24 - 2 + 1  # + its legend swatch
    assert f'fill="{charts.HEAT_COLOURS[3]}"' in svg


def test_best_hours_without_calls_says_so():
    assert "No calls in this period" in charts.best_hours([])


def test_latency_per_turn_stacks_the_three_steps():
    svg = charts.latency_per_turn(
        [{"sequence": 1, "stt_ms": 200, "llm_ms": 600, "tts_ms": 200},
         {"sequence": 2, "stt_ms": 180, "llm_ms": None, "tts_ms": None}]
    )  # fmt: skip
    assert "AI latency of 2 turns; mean 590 ms per turn, slowest turn 1 with 1,000 ms." in svg
    assert "<title>Turn 1: STT 200 ms, LLM 600 ms, TTS 200 ms</title>" in svg


def test_latency_histogram_counts_turns_per_bucket():
    svg = charts.latency_histogram(
        [{"label": "0–0.5 s", "count": 3}, {"label": "≥ 0.5 s", "count": 1}]
    )
    assert "4 turns by total AI latency: 0–0.5 s 3, ≥ 0.5 s 1." in svg


def test_chart_labels_are_escaped():
    svg = charts.funnel([{"label": "<script>", "count": 1, "step_rate": None}])
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_daily_trend_always_labels_the_last_day():
    svg = charts.daily_trend([day(n, n, 0, 0) for n in range(1, 15)])
    labels = re.findall(r">(\d\d Mar)</text>", svg)
    assert labels == ["02 Mar", "04 Mar", "06 Mar", "08 Mar", "10 Mar", "12 Mar", "14 Mar"]


def test_phone_sized_daily_chart_fits_its_width_with_axis_and_legend():
    stats = [{"date": f"2025-03-{day:02d}", "calls_made": day, "calls_answered": 1,
              "calls_qualified": 0} for day in range(1, 31)]  # fmt: skip
    svg = charts.daily_trend(stats, width=charts.NARROW)
    assert f'viewBox="0 0 {charts.NARROW} 214"' in svg
    # The legend starts at the left edge, the y-axis labels are drawn, four days are labelled.
    assert '<rect x="4.0" y="4.0" width="12.0" height="12.0" fill="#b6d4f2"' in svg
    assert ">30</text>" in svg
    assert len(re.findall(r">\d\d Mar</text>", svg)) == 4


def test_transposed_heatmap_has_hours_as_rows_and_days_as_columns():
    svg = charts.best_hours(
        [{"weekday": 7, "hour": 19, "calls_made": 8, "answer_rate": 50.0,
          "qualification_rate": 25.0}],
        transposed=True,
    )  # fmt: skip
    assert f'viewBox="0 0 {charts.NARROW} ' in svg
    assert [f">{hour:02d}:00</text>" in svg for hour in range(24)] == [True] * 24
    assert all(f">{day}</text>" in svg for day in charts.WEEKDAYS)
    assert "<title>Sun 19:00–20:00: 8 calls, answer rate 50.00%, qualification rate 25.00%" in svg


def test_responsive_chart_holds_both_variants():
    markup = charts.responsive("<svg>wide</svg>", "<svg>narrow</svg>")
    assert markup == (
        '<div class="chart-wrap chart-wide"><svg>wide</svg></div>'
        '<div class="chart-wrap chart-narrow"><svg>narrow</svg></div>'
    )
    assert charts.responsive("", "") == ""
