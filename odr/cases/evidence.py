"""Evidence files: checked by content (never by name), stored by SHA-256 under var/evidence."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import filetype
from sqlalchemy.orm import Session

from odr.cases.models import Attachment, Case
from odr.engine.workflow import InvalidData

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


def safe_filename(name: str, extension: str) -> str:
    """A display name without paths, control or format characters (e.g. RTL overrides)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C")
    base = re.sub(r"\s+", " ", base).strip(" .")[:100]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{stem or 'evidence'}.{extension}"


def check_evidence(
    uploads: list[tuple[str, bytes]], max_files: int, max_bytes: int, field: str = "evidence"
) -> list[EvidenceFile]:
    """Validate uploads (name, bytes); raise InvalidData naming the field and the file."""
    uploads = [(name, data) for name, data in uploads if data]
    if len(uploads) > max_files:
        raise InvalidData({field: f"最多{max_files}个文件 / at most {max_files} files"})
    files = []
    for name, data in uploads:
        if len(data) > max_bytes:
            limit = max_bytes // (1024 * 1024)
            raise InvalidData({field: f"{name}: 超过{limit}MB / larger than {limit} MB"})
        kind = filetype.guess(data)
        if kind is None or kind.mime not in ALLOWED_TYPES:
            raise InvalidData(
                {field: f"{name}: 只接受 JPG、PNG、WebP、GIF 图片或 PDF / only images or PDF"}
            )
        files.append(EvidenceFile(safe_filename(name, ALLOWED_TYPES[kind.mime]), kind.mime, data))
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
