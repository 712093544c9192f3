"""Files that are not what they seem: CSV rows cut short or split, empty transfer files, bodies
in a content type the API does not read (415), and 401s that say how to authenticate."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient

from odr.app import create_app
from odr.cli import main
from odr.intake.transfer12315 import HEADERS, read_records

TOKEN = "test-12315-token"


def csv_text(*rows: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(HEADERS))
    writer.writerows(rows)
    return out.getvalue().encode()


def full_row(number: str) -> list[str]:
    return [number if header == "投诉编号" else "x" for header in HEADERS]


def test_a_row_with_fewer_or_more_cells_than_the_header_is_refused_with_its_line():
    cut = full_row("R2")[:5]  # a file cut mid-row
    stray = full_row("R3")[:8] + ["多出", "的"] + full_row("R3")[8:]  # a stray delimiter
    records, problems = read_records(csv_text(full_row("R1"), cut, stray, full_row("R4")), "csv")
    assert [r.fields["external_id"] for r in records] == ["R1", "R4"]
    columns = len(HEADERS)
    assert [(p.line, p.reason) for p in problems] == [
        (3, f"5 cells, header has {columns}"),
        (4, f"{columns + 2} cells, header has {columns}"),
    ]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "empty"),
        ("\ufeff".encode(), "empty"),
        (",".join(HEADERS).encode() + b"\r\n", "a header and no rows"),
        (",".join(HEADERS).encode() + b"\r\n,,,\r\n\r\n", "a header and no rows"),
    ],
)
def test_an_empty_file_or_a_header_alone_says_so(content, says):
    records, problems = read_records(content, "csv")
    assert records == [] and len(problems) == 1
    assert problems[0].line == 0 and says in problems[0].reason


@pytest.mark.parametrize("content", [b"", ",".join(HEADERS).encode() + b"\n", b"[]"])
def test_the_import_command_fails_on_a_file_without_records(tmp_path: Path, database_url, content):
    file = tmp_path / ("transfer.json" if content == b"[]" else "transfer.csv")
    file.write_bytes(content)
    result = CliRunner().invoke(
        main, ["import-12315", str(file)], env={"ODR_DATABASE_URL": database_url}
    )
    assert result.exit_code != 0
    assert "empty" in result.output or "no rows" in result.output or "no records" in result.output


@pytest.fixture(scope="module")
def api(settings, demo_logins):  # type: ignore[no-untyped-def]
    with TestClient(create_app(replace(settings, transfer_token=TOKEN))) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/api/v1/complaints", "text/plain"),
        ("/api/v1/complaints", "application/x-www-form-urlencoded"),
        ("/api/v1/complaints", "multipart/form-data; boundary=x"),
        ("/api/v1/intake/12315", "text/plain"),
        ("/api/v1/intake/12315", "application/xml"),
        ("/api/v1/enterprise/cases/ODR1/actions/decline", "text/plain"),
    ],
)
def test_a_body_in_a_type_the_api_does_not_read_is_415(api, path, media_type):
    answer = api.post(
        path,
        content=b'{"facts": "a JSON body under another name"}',
        headers={"Content-Type": media_type, "Authorization": f"Bearer {TOKEN}"},
    )
    assert answer.status_code == 415, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["status"] == 415


def test_the_types_an_api_reads_are_still_read(api):
    complaint = api.post(
        "/api/v1/complaints", content=b"{}", headers={"Content-Type": "application/json"}
    )
    assert complaint.status_code == 400  # read, and found wanting
    charset = api.post(
        "/api/v1/complaints",
        content=b"{}",
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert charset.status_code == 400
    transfer = api.post(
        "/api/v1/intake/12315",
        content=csv_text(full_row("M1")[:3]),
        headers={"Content-Type": "text/csv", "Authorization": f"Bearer {TOKEN}"},
    )
    assert transfer.status_code == 200
    assert "cells, header has" in transfer.json()["results"][0]["reason"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/enterprise/cases"),
        ("POST", "/api/v1/enterprise/cases/ODR1/actions/decline"),
        ("GET", "/api/v1/intake/12315/updates"),
        ("POST", "/api/v1/intake/12315"),
    ],
)
@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "Basic d3Jvbmc="])
def test_every_401_says_how_to_authenticate(api, method, path, authorization):
    headers = {"Content-Type": "application/json"}
    if authorization:
        headers["Authorization"] = authorization
    answer = api.request(method, path, content=b"{}" if method == "POST" else None, headers=headers)
    assert answer.status_code == 401, answer.text
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
