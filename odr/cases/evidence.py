"""Evidence files: checked by content (never by name), stored by SHA-256 under var/evidence."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import shutil
import time
import unicodedata
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import filetype
from sqlalchemy.orm import Session

from odr.cases.models import Attachment, Case
from odr.errors import InvalidData
from odr.text import Message

ALLOWED_TYPES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "application/pdf": "pdf",
}


@dataclass(frozen=True)
class EvidenceFile:
    filename: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def display_name(name: str) -> str:
    """The last part of a path, without control or format characters (e.g. RTL overrides)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C")
    return re.sub(r"\s+", " ", base).strip(" .")[:100]


def safe_filename(name: str, extension: str) -> str:
    """A display name without paths, control or format characters, with the content's type."""
    base = display_name(name)
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{stem or 'evidence'}.{extension}"


# PDF features that run something or carry other files: refused in evidence. Names may be
# written with #xx escapes (/J#61vaScript) and sit in compressed object streams.
PDF_ACTIVE = re.compile(
    rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|SubmitForm|ImportData)\b"
)
PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
PDF_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.DOTALL)
MAX_INFLATED = 64 * 1024 * 1024  # a compression bomb is refused rather than inflated


def _pdf_text(data: bytes) -> list[bytes]:
    """The PDF's bytes and its Flate streams inflated (stopping at MAX_INFLATED in all)."""
    parts, budget = [data], MAX_INFLATED
    for match in PDF_STREAM.finditer(data):
        inflater = zlib.decompressobj()
        try:
            inflated = inflater.decompress(match.group(1), budget + 1)
        except zlib.error:
            continue  # not Flate (an image, say): scanned as it is above
        budget -= len(inflated)
        if budget < 0:
            raise ValueError("too much compressed content")
        parts.append(inflated)
    return parts


def pdf_is_active(data: bytes) -> bool:
    """Whether a PDF holds scripts, launch actions or embedded files (or will not be inflated)."""
    try:
        parts = _pdf_text(data)
    except ValueError:
        return True
    unescape = lambda m: bytes([int(m.group(1), 16)])  # noqa: E731
    return any(PDF_ACTIVE.search(PDF_NAME_ESCAPE.sub(unescape, part)) for part in parts)


def check_evidence(
    uploads: list[tuple[str, bytes]], max_files: int, max_bytes: int, field: str = "evidence"
) -> list[EvidenceFile]:
    """Validate uploads (name, bytes); raise InvalidData naming the field and the file."""
    uploads = [(name, data) for name, data in uploads if data]
    if len(uploads) > max_files:
        raise InvalidData({field: Message("最多%(count)s个文件", count=max_files)})
    files = []
    for raw_name, data in uploads:
        name = display_name(raw_name)  # errors name the file without its paths or bidi tricks
        if len(data) > max_bytes:
            limit = max_bytes // (1024 * 1024)
            raise InvalidData({field: Message("%(name)s: 超过%(limit)sMB", name=name, limit=limit)})
        kind = filetype.guess(data)
        if kind is None or kind.mime not in ALLOWED_TYPES:
            raise InvalidData(
                {field: Message("%(name)s: 只接受 JPG、PNG、WebP、GIF 图片或 PDF", name=name)}
            )
        if kind.mime == "application/pdf" and pdf_is_active(data):
            raise InvalidData(
                {field: Message("%(name)s: PDF 含有脚本、启动操作或嵌入文件，不予接受", name=name)}
            )
        files.append(
            EvidenceFile(safe_filename(raw_name, ALLOWED_TYPES[kind.mime]), kind.mime, data)
        )
    return files


def evidence_path(evidence_dir: Path, sha256: str) -> Path:
    return evidence_dir / sha256[:2] / sha256


def write_file(evidence_dir: Path, f: EvidenceFile) -> None:
    """Keep the bytes, named by their SHA-256 (a retry rewrites the same file)."""
    path = evidence_path(evidence_dir, f.sha256)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{secrets.token_hex(4)}.part")
        tmp.write_bytes(f.data)
        tmp.replace(path)


def attach(
    session: Session,
    case: Case,
    f: EvidenceFile,
    uploaded_by: str,
    now: datetime,
    event_seq: int | None = None,
) -> Attachment:
    """The row of a file already written: with the complaint, or with an event."""
    row = Attachment(
        case_id=case.id,
        filename=f.filename,
        content_type=f.content_type,
        size=len(f.data),
        sha256=f.sha256,
        uploaded_at=now,
        uploaded_by=uploaded_by,
        event_seq=event_seq,
    )
    session.add(row)
    return row


def store_evidence(
    session: Session,
    case: Case,
    files: list[EvidenceFile],
    evidence_dir: Path,
    uploaded_by: str,
    now: datetime,
) -> list[Attachment]:
    """Write the files and their rows (the evidence filed with a complaint)."""
    for f in files:
        write_file(evidence_dir, f)
    return [attach(session, case, f, uploaded_by, now) for f in files]


# Files chosen with a form that came back with errors wait here, by the form's token (a hash
# of it), until the form is sent again or a day has passed (odr/intake/form_tokens.py).
HELD = "held"
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _held_dir(evidence_dir: Path, holder: str) -> Path:
    if not SHA256.match(holder):
        raise ValueError("a holder is a SHA-256 in hex")
    return evidence_dir / HELD / holder


def hold(evidence_dir: Path, holder: str, files: list[EvidenceFile]) -> None:
    """Keep checked files for a form sent again; the same file twice is kept once."""
    folder = _held_dir(evidence_dir, holder)
    folder.mkdir(parents=True, exist_ok=True)
    for f in files:
        about = {"filename": f.filename, "content_type": f.content_type, "at": time.time_ns()}
        for path, data in ((folder / f.sha256, f.data), (folder / f"{f.sha256}.json", None)):
            tmp = path.with_suffix(f".{secrets.token_hex(4)}.part")
            tmp.write_bytes(data if data is not None else json.dumps(about).encode())
            tmp.replace(path)


def held_files(evidence_dir: Path, holder: str) -> list[EvidenceFile]:
    """The files held for a form, in the order they were chosen."""
    folder = _held_dir(evidence_dir, holder)
    found = []
    for about_path in folder.glob("*.json") if folder.is_dir() else ():
        data_path = about_path.with_suffix("")
        try:
            about = json.loads(about_path.read_text())
            data = data_path.read_bytes()
        except (OSError, ValueError):
            continue  # removed meanwhile, or half written: not held
        found.append((about["at"], EvidenceFile(about["filename"], about["content_type"], data)))
    return [f for _, f in sorted(found, key=lambda item: item[0])]


def release(evidence_dir: Path, holder: str, sha256: str) -> None:
    """Stop holding one file (the consumer removed it from the form)."""
    if SHA256.match(sha256):
        folder = _held_dir(evidence_dir, holder)
        (folder / f"{sha256}.json").unlink(missing_ok=True)
        (folder / sha256).unlink(missing_ok=True)


def purge_held(evidence_dir: Path, before: datetime) -> int:
    """Delete the held files of forms last touched before a moment; how many forms."""
    root = evidence_dir / HELD
    gone = 0
    for folder in root.iterdir() if root.is_dir() else ():
        try:
            paths = list(folder.iterdir())
            newest = max((p.stat().st_mtime for p in paths), default=folder.stat().st_mtime)
        except OSError:
            continue  # being written or removed by another process: next time
        if newest < before.timestamp():
            shutil.rmtree(folder, ignore_errors=True)
            gone += 1
    return gone
