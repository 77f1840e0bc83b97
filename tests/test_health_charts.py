"""Server-side SVG charts: accessible, escaped, well-formed."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from portal.health.charts import Series, bar_chart, line_chart, nice_ceiling

SVG = "{http://www.w3.org/2000/svg}"


def test_charts_are_accessible_escaped_svg():
    svg = bar_chart(["Jan", "<script>alert(1)</script>"], [Series("Peer & co <b>", [0.5, None])],
                    title='Shares "by" <month>', description="What it shows", x_label="Month",
                    y_label="Share", chart_id="c1", y_max=1.0)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    root = ET.fromstring(str(svg))  # noqa: S314 - our own markup; parsing proves it well-formed
    assert root.get("role") == "img" and root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").text == 'Shares "by" <month>'
    assert root.find(f"{SVG}desc").text == "What it shows"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Month" in texts and "Share" in texts and "Peer & co <b>" in texts and "100%" not in texts
    assert len(root.findall(f"{SVG}rect")) == 1 + 1  # one bar (None draws none) and one legend swatch


def test_line_chart_leaves_gaps_for_missing_months():
    svg = line_chart(["a", "b", "c", "d", "e"], [Series("s", [0.1, 0.2, None, 0.4, 0.5])], title="t",
                     description="d", x_label="x", y_label="y", chart_id="c2", y_max=1.0)
    root = ET.fromstring(str(svg))  # noqa: S314 - our own markup
    assert len(root.findall(f"{SVG}polyline")) == 2 and len(root.findall(f"{SVG}circle")) == 4
    assert nice_ceiling(0.0031) == 0.005 and nice_ceiling(0.7) == 1.0 and nice_ceiling(0) == 1.0


def test_long_legends_wrap_and_shorten():
    long_name = "Through " + "Very Long Company Name " * 5 + "'s staff"
    svg = line_chart(["Jan 2026", "Feb 2026"], [Series("Peer to peer across companies", [0.5, 0.6]),
                                                Series(long_name, [0.1, 0.2]), Series("Within", [0.4, 0.2])],
                     title="t", description="d", x_label="x", y_label="y", chart_id="c3", y_max=1.0)
    root = ET.fromstring(str(svg))  # noqa: S314 - our own markup
    legend = [t for t in root.iter(f"{SVG}text") if t.text and (t.text.startswith("Through") or t.text == "Within")]
    assert legend[0].text.endswith("…") and len(legend[0].text) == 60
    assert {t.get("y") for t in legend} == {"38"}  # both on the second legend row (first row: y 20)
    months = [t for t in root.iter(f"{SVG}text") if t.text == "Jan"]
    assert months and months[0].find(f"{SVG}tspan").text == "2026"  # the year under the month
