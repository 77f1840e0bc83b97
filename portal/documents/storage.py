"""Uploaded document files: checked, hashed and stored under the instance folder by SHA-256.

An upload is streamed into a temporary file inside the store (so the final rename stays on one
file system and is atomic), counted against the size limit while it arrives (a lying or missing
Content-Length changes nothing), and its type is decided from its bytes as well as its name:
both must agree on one of the allowed types. Only `ReceivedUpload.place()` — called by
`publish_version` once everything else is valid — renames it to its content address, so a
rejected upload never appears there. A transaction that fails after that leaves at most a file
no version points to: nobody can download it (downloads go through a version row), and
`portal documents prune` removes it.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import filetype

from portal.errors import DomainError

CHUNK = 64 * 1024
SNIFF_BYTES = 8192  # what filetype reads, enough for the OOXML checks on the first zip entries
TEMP_PREFIX = "upload-"
SHA256_NAME = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class FileType:
    extension: str
    content_type: str
    sniffed_as: frozenset[str]  # what filetype may call it; empty: plain UTF-8 text (no magic number)
    label: str  # with its article: "a PDF", "an Excel workbook"


OOXML_FOLDERS = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
_ZIP_FAMILY = frozenset({"zip", "docx", "xlsx", "pptx", "odt", "ods", "odp", "epub"})
FILE_TYPES: dict[str, FileType] = {t.extension: t for t in (
    FileType("pdf", "application/pdf", frozenset({"pdf"}), "a PDF"),
    FileType("png", "image/png", frozenset({"png"}), "a PNG image"),
    FileType("jpg", "image/jpeg", frozenset({"jpg"}), "a JPEG image"),
    FileType("jpeg", "image/jpeg", frozenset({"jpg"}), "a JPEG image"),
    FileType("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             frozenset({"docx"}), "a Word document"),
    FileType("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             frozenset({"xlsx"}), "an Excel workbook"),
    FileType("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
             frozenset({"pptx"}), "a PowerPoint presentation"),
    FileType("zip", "application/zip", _ZIP_FAMILY, "a ZIP archive"),
    FileType("txt", "text/plain; charset=utf-8", frozenset(), "a text file"),
    FileType("csv", "text/csv; charset=utf-8", frozenset(), "a CSV file"),
)}
DEFAULT_ALLOWED = tuple(FILE_TYPES)
# Text that a browser (or a careless viewer) would render as a page or a picture.
_MARKUP_START = re.compile(rb"^\s*<(?:!doctype|html|svg|\?xml|script|head|body)", re.IGNORECASE)


def parse_allowed_types(raw: str | Iterable[str]) -> tuple[str, ...]:
    """Extensions from config ("pdf, png, csv"); an unknown one stops start-up with its name."""
    names = [n.strip().lower().lstrip(".") for n in (raw.split(",") if isinstance(raw, str) else raw)]
    names = [n for n in names if n]
    unknown = [n for n in names if n not in FILE_TYPES]
    if unknown:
        raise SystemExit(f"PORTAL_DOCUMENT_TYPES: unknown file type(s) {', '.join(unknown)} "
                         f"(known: {', '.join(FILE_TYPES)})")
    return tuple(dict.fromkeys(names)) or DEFAULT_ALLOWED


def clean_file_name(raw: str | None, extension: str) -> str:
    """A download name: no folders, no control characters, at most 120 characters, right extension."""
    name = unicodedata.normalize("NFC", (raw or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>:|?*').strip(" .")
    stem = (name.rsplit(".", 1)[0] if "." in name else name).strip(" .")
    return f"{stem[:110].strip(' .') or 'document'}.{extension}"


def _extension(file_name: str | None) -> str:
    base = (file_name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[-1].lower() if "." in base else ""


def _office_kind(path: Path) -> str | None:
    """docx/xlsx/pptx from the zip's full list of entries: an Office Open XML package has
    [Content_Types].xml and its main folder, wherever they sit in the archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    for extension, folder in OOXML_FOLDERS.items():
        if any(name.startswith(folder) for name in names):
            return extension
    return None


def _is_utf8_text(head: bytes) -> bool:
    """Plain text: decodes as UTF-8 (a character cut at the sniff window's end is fine), no NUL bytes."""
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(head) - 3 and len(head) == SNIFF_BYTES
    return True


@dataclass
class ReceivedUpload:
    """A checked upload waiting in the store's temporary folder until `place()`."""

    store: DocumentStore
    temp_path: Path
    file_name: str
    file_type: FileType
    sha256: str
    size: int
    placed: bool = field(default=False)

    @property
    def content_type(self) -> str:
        return self.file_type.content_type

    def place(self) -> str:
        """Move the file to its content address (atomic rename; identical content is stored once)."""
        target = self.store.path_for(self.sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.temp_path, target)
        self.placed = True
        return self.sha256

    def discard(self) -> None:
        """Remove the temporary file if it was not placed (call in a finally: block)."""
        if not self.placed:
            self.temp_path.unlink(missing_ok=True)


class DocumentStore:
    """Where document files live and what may be uploaded there."""

    def __init__(self, folder: str | Path, *, max_bytes: int, allowed: Iterable[str] = DEFAULT_ALLOWED) -> None:
        self.folder = Path(folder)
        self.max_bytes = int(max_bytes)
        self.allowed = tuple(allowed)

    @property
    def temp_folder(self) -> Path:
        return self.folder / "tmp"

    def allowed_labels(self) -> str:
        return ", ".join(dict.fromkeys(e for e in self.allowed if e != "jpeg"))

    def path_for(self, sha256: str) -> Path:
        if not SHA256_NAME.match(sha256 or ""):
            raise ValueError("not a SHA-256 hex digest")
        return self.folder / sha256[:2] / sha256

    def existing_path(self, sha256: str | None) -> Path | None:
        """The stored file for this digest, or None when it is missing."""
        try:
            path = self.path_for(sha256 or "")
        except ValueError:
            return None
        return path if path.is_file() else None

    def receive(self, file_name: str | None, stream: BinaryIO) -> ReceivedUpload:
        """Stream an upload into a temporary file and check its size and type (DomainError if wrong)."""
        extension = _extension(file_name)
        if not file_name or not extension:
            raise DomainError(f"Please choose a file ({self.allowed_labels()}).", field="file")
        if extension not in self.allowed:
            raise DomainError(f"Files of type .{extension[:10]} cannot be uploaded here; allowed: "
                              f"{self.allowed_labels()}.", field="file")
        self.temp_folder.mkdir(parents=True, exist_ok=True)
        temp_path = self.temp_folder / f"{TEMP_PREFIX}{secrets.token_hex(12)}"
        try:
            digest, size, head = self._copy(stream, temp_path)
            file_type = FILE_TYPES[extension]
            self._check_type(file_type, head, temp_path)
        except BaseException:
            temp_path.unlink(missing_ok=True)
            raise
        return ReceivedUpload(self, temp_path, clean_file_name(file_name, extension), file_type, digest, size)

    def _copy(self, stream: BinaryIO, temp_path: Path) -> tuple[str, int, bytes]:
        digest, size, head = hashlib.sha256(), 0, b""
        with temp_path.open("xb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > self.max_bytes:
                    raise DomainError(f"The file is too large: at most {format_size(self.max_bytes)}.",
                                      field="file")
                if len(head) < SNIFF_BYTES:
                    head += chunk[:SNIFF_BYTES - len(head)]
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())  # on disk before a version row can point at it
        if size == 0:
            raise DomainError("The file is empty.", field="file")
        return digest.hexdigest(), size, head

    @staticmethod
    def _check_type(file_type: FileType, head: bytes, path: Path) -> None:
        sniffed = filetype.guess(head)
        if (sniffed is not None and sniffed.extension == "zip" and file_type.extension in OOXML_FOLDERS
                and _office_kind(path) == file_type.extension):
            return  # an Office file whose first zip entries filetype's quick look did not recognise
        if file_type.sniffed_as:
            if sniffed is None or sniffed.extension not in file_type.sniffed_as:
                raise DomainError(f"The file's content is not {file_type.label} "
                                  f"(it does not match its .{file_type.extension} name).", field="file")
            return
        if sniffed is not None or not _is_utf8_text(head) or _MARKUP_START.match(head):
            raise DomainError(f"A .{file_type.extension} file must be plain UTF-8 text.", field="file")

    def prune(self, referenced: set[str], *, older_than: float = 3600.0) -> int:
        """Delete temporary uploads and stored files that no version references, once older than
        `older_than` seconds (younger ones may belong to a transaction still running); returns how many."""
        cutoff = time.time() - older_than
        candidates = list(self.temp_folder.glob(f"{TEMP_PREFIX}*")) if self.temp_folder.is_dir() else []
        candidates += [p for p in self.folder.glob("??/*") if SHA256_NAME.match(p.name) and p.name not in referenced]
        removed = 0
        for path in candidates:
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed


def store_from_config(config: Mapping) -> DocumentStore:
    """The app's store: `<instance>/documents`, DOCUMENT_MAX_BYTES, DOCUMENT_TYPES."""
    folder = config.get("DOCUMENT_STORAGE_PATH") or Path(config["INSTANCE_PATH"]) / "documents"
    return DocumentStore(folder, max_bytes=config.get("DOCUMENT_MAX_BYTES", 20 * 1024 * 1024),
                         allowed=config.get("DOCUMENT_TYPES", DEFAULT_ALLOWED))


def format_size(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
