"""The papers' templates (documents/) and their rendering to PDF with WeasyPrint, the CJK font
embedded (WeasyPrint subsets and embeds every font it draws with)."""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

LOCALE = "zh-CN"  # the papers are issued in Chinese
FONT_FAMILY = "WenQuanYi Micro Hei"


class DocumentError(Exception):
    """The papers cannot be rendered: a template, the kinds file or the font is missing."""


@dataclass(frozen=True)
class Kind:
    """A kind of paper (documents/documents.yaml): its title, its number's word, its triggers."""

    code: str
    title: str
    word: str
    triggers: tuple[str, ...]


@cache
def kinds(directory: Path) -> dict[str, Kind]:
    """documents.yaml's kinds by code."""
    path = directory / "documents.yaml"
    if not path.exists():
        raise DocumentError(f"{path} is missing")
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {
        str(code): Kind(
            code=str(code),
            title=str(spec["title"]),
            word=str(spec["word"]),
            triggers=tuple(str(t) for t in spec.get("triggers") or ()),
        )
        for code, spec in (raw.get("documents") or {}).items()
    }


def kind_for_trigger(directory: Path, trigger: str) -> Kind | None:
    """The paper a trigger issues, if any."""
    return next((k for k in kinds(directory).values() if trigger in k.triggers), None)


@cache
def font_file(configured: str | None) -> Path:
    """The CJK font to embed: the configured file, else the one fontconfig finds."""
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise DocumentError(f"ODR_DOCUMENT_FONT: no file {configured}")
        return path
    fc_match = shutil.which("fc-match")
    if fc_match:
        found = subprocess.run(
            [fc_match, "-f", "%{file}", f"{FONT_FAMILY}:lang=zh-cn"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if found and Path(found).is_file() and "wqy" in found.lower():
            return Path(found)
    raise DocumentError(
        "no CJK font for the papers: install fonts-wqy-microhei or set ODR_DOCUMENT_FONT"
    )


@cache
def environment(directory: Path) -> Environment:
    # HTML: what a party typed is escaped. Read once per process, as the message templates are.
    return Environment(
        loader=FileSystemLoader(directory),
        auto_reload=False,
        undefined=StrictUndefined,
        autoescape=select_autoescape(["j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(directory: Path, kind: str, context: Mapping[str, Any]) -> str:
    return environment(directory).get_template(f"{LOCALE}/{kind}.html.j2").render(**context)


def render_pdf(
    directory: Path, kind: str, context: Mapping[str, Any], font: str | None = None
) -> bytes:
    """The paper as PDF bytes, its font embedded."""
    from weasyprint import CSS, HTML  # Pango loads on first use, not at import of odr
    from weasyprint.text.fonts import FontConfiguration

    # Its seven steps a paper at INFO would fill the service's log.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

    fonts = FontConfiguration()
    face = CSS(
        string=f'@font-face {{ font-family: "ODR CJK"; src: url("{font_file(font).as_uri()}"); }}',
        font_config=fonts,
    )
    style = CSS(filename=str(directory / "document.css"), font_config=fonts)
    html = HTML(string=render_html(directory, kind, context), base_url=str(directory))
    pdf = html.write_pdf(stylesheets=[face, style], font_config=fonts)
    assert pdf is not None
    return pdf
