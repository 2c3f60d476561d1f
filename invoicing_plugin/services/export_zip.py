"""A ZIP written file by file, each hashed while it streams in, closed with manifest.json (SHA-256 per file)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class ExportZip:
    """`add(name, chunks)` streams one file into the archive; `close(about)` writes the manifest last."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True)
        self.files: list[dict[str, Any]] = []

    def add(self, name: str, chunks: Iterable[bytes] | bytes, media_type: str | None = None,
            sha256: str | None = None) -> str:
        """The file's SHA-256, computed over the bytes written (checked against `sha256` when it is known)."""
        digest, size = hashlib.sha256(), 0
        with self.zip.open(name, "w", force_zip64=True) as entry:
            for chunk in [chunks] if isinstance(chunks, bytes) else chunks:
                digest.update(chunk)
                size += len(chunk)
                entry.write(chunk)
        hexdigest = digest.hexdigest()
        if sha256 is not None and sha256 != hexdigest:
            raise ValueError(f"{name}: the stored document's SHA-256 does not match its bytes")
        self.files.append({"name": name, "size": size, "sha256": hexdigest,
                           **({"media_type": media_type} if media_type else {})})
        return hexdigest

    def close(self, about: dict[str, Any]) -> None:
        manifest = {"format": "invoicing_plugin export", "version": 1,
                    "created_at": datetime.now(UTC).isoformat(timespec="seconds"), **about, "files": self.files}
        self.zip.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False, default=str))
        self.zip.close()


def document_name(number: str | None, invoice_id: str, kind: str, folder: str = "documents") -> str:
    """documents/<number>.pdf, documents/<number>-finvoice.xml, documents/<number>-ubl.xml (a reminder's in
    documents/reminders/)."""
    name = (number or invoice_id).replace("/", "-")
    return f"{folder}/{name}.pdf" if kind == "pdf" else f"{folder}/{name}-{kind}.xml"
