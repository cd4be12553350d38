"""The pieces of Rapporter that need no database: percentiles as PostgreSQL's
percentile_cont computes them, the charts' scale, and the CSV formula guard."""

from webapp import charts
from webapp.services import csv_export, statistics


def test_percentiles_interpolate_as_percentile_cont():
    # SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY x) FROM (VALUES (10),(20),(60)) v(x) -> 52
    assert statistics.spread([60, 10, 20]) == statistics.Spread(3, 20, 52)
    assert statistics.spread([10, 20, 40, 60]) == statistics.Spread(4, 30, 54)
    assert statistics.spread([7.5]) == statistics.Spread(1, 8, 8)  # half a second rounds up
    assert statistics.spread([]) == statistics.Spread(0, None, None)


def test_the_scale_ends_at_a_round_number_above_the_largest_bar():
    assert [charts.nice_top(v) for v in (0, 1, 3, 10, 11, 37, 140, 999)] == [
        2, 2, 5, 10, 20, 50, 200, 1000
    ]  # fmt: skip
    chart = charts.bars([0, 5, None, 10], ["1", "2", "3", "4"])
    assert [bar.label for bar in chart.bars] == ["2: 5", "4: 10"]  # no bar for 0 or None
    tallest = max(chart.bars, key=lambda bar: bar.height)
    assert tallest.y == charts.TOP and chart.top == 10
    assert tallest.y + tallest.height == charts.HEIGHT - charts.BOTTOM


def test_a_cell_a_spreadsheet_would_run_stays_text():
    for formula in ('=HYPERLINK("http://x")', "+46 70", "-1+1", "@SUM(A1)", "\tx"):
        assert csv_export.safe(formula) == "'" + formula
    assert csv_export.safe("Åsa Öberg") == "Åsa Öberg"
    assert csv_export.safe(-3) == -3 and csv_export.safe(None) == ""
    text = "".join(csv_export.lines(["Namn"], [["=1+1"], ["Kö"]]))
    assert text == "\ufeffNamn\r\n'=1+1\r\nKö\r\n"
