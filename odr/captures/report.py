"""The capture report: a PDF in Chinese with the facts, the hashes, the times and the screenshot.

WeasyPrint renders it from report.html, with Debian's WenQuanYi Micro Hei embedded (the PDF
reads the same on a machine without a Chinese font). The PNG is handed to WeasyPrint as a data
URI and no other URL is fetched: the report never reaches the network.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from odr.captures.browser import MAX_SCREENSHOT_HEIGHT
from odr.captures.models import WebCapture
from odr.clock import SHANGHAI

CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent), autoescape=select_autoescape(["html"])
)


def _fetcher(font: Path) -> Any:
    """WeasyPrint's fetcher limited to the report's font file and data: URIs (the screenshot)."""
    from weasyprint.urls import URLFetcher

    font_url = font.as_uri()

    class ReportFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url != font_url and not url.startswith("data:"):
                raise ValueError(f"the capture report fetches nothing else: {url[:80]}")
            return super().fetch(url, headers)

    return ReportFetcher(allowed_protocols=("file", "data"), fail_on_errors=True)


def render_report(
    capture: WebCapture, screenshot: bytes, case_number: str | None, font: Path = CJK_FONT
) -> bytes:
    """The report of a finished capture, as PDF bytes."""
    from weasyprint import HTML  # Pango is loaded with it: only where reports are made

    html = _templates.get_template("report.html").render(
        c=capture,
        facts=capture.facts,
        case_number=case_number,
        started=f"{capture.started_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}"
        if capture.started_at
        else "",
        finished=f"{capture.finished_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}"
        if capture.finished_at
        else "",
        font_url=font.as_uri(),
        screenshot_url="data:image/png;base64," + base64.b64encode(screenshot).decode(),
        max_height=MAX_SCREENSHOT_HEIGHT,
    )
    pdf = HTML(string=html, url_fetcher=_fetcher(font)).write_pdf()
    assert pdf is not None
    return bytes(pdf)
