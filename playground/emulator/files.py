"""In-memory file storage behind file_id, getFile and the /file/ download route."""

from __future__ import annotations

import base64
import itertools
import mimetypes
import secrets
from dataclasses import dataclass

# Folder names the real Bot API uses in file_path, so bots that inspect it see familiar values.
_FOLDERS = {
    "photo": "photos",
    "document": "documents",
    "video": "videos",
    "voice": "voice",
    "audio": "music",
    "animation": "animations",
    "sticker": "stickers",
    "video_note": "video_notes",
}
_DEFAULT_EXTENSIONS = {
    "photo": ".jpg",
    "video": ".mp4",
    "voice": ".oga",
    "audio": ".mp3",
    "animation": ".mp4",
    "sticker": ".webp",
    "video_note": ".mp4",
}


@dataclass(frozen=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    content: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None

    @property
    def file_size(self) -> int:
        return len(self.content)


class FileStore:
    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._counter = itertools.count(1)

    def add(
        self,
        kind: str,
        content: bytes,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        number = next(self._counter)
        # Real file ids are opaque base64url strings; the kind prefix only helps debugging.
        token = base64.urlsafe_b64encode(secrets.token_bytes(18)).decode().rstrip("=")
        extension = _extension(kind, file_name, mime_type)
        stored = StoredFile(
            file_id=f"{kind[:2].upper()}ACAg{token}",
            file_unique_id=f"AQAD{number:06d}{token[:6]}",
            kind=kind,
            content=content,
            file_path=f"{_FOLDERS.get(kind, 'documents')}/file_{number}{extension}",
            file_name=file_name,
            mime_type=mime_type,
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        return self._by_path.get(file_path)


def _extension(kind: str, file_name: str | None, mime_type: str | None) -> str:
    if file_name and "." in file_name:
        return "." + file_name.rsplit(".", 1)[1]
    if mime_type and (guessed := mimetypes.guess_extension(mime_type)):
        return guessed
    return _DEFAULT_EXTENSIONS.get(kind, "")
