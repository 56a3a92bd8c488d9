"""The export's file: the rows of services/export.py as CSV or XLSX bytes.

The bot writes the file in a child process (`render_in_child`, this module run as
`python -m services.export_file`): a year's 20,000 cases take about 3 s of CPU as XLSX, which
on the bot's event loop would hold back every alert for as long. The rows reach the child
through a pipe, never a file: with personal data they must not touch the disk in clear.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from services.child_process import ChildFailed, module_command, run_child

if TYPE_CHECKING:
    # Not at run time: the child would import SQLAlchemy and the models for nothing.
    from services.statistics import Period

FORMATS = ("csv", "xlsx")
# A five-year XLSX (the longest period) takes about 15 s on a small server.
CHILD_TIMEOUT = 120.0
_XLSX_SIGNATURE = b"PK\x03\x04"


class ExportFileError(RuntimeError):
    """The file could not be written (the child failed, timed out or answered garbage)."""


@dataclass(frozen=True, slots=True)
class Export:
    columns: tuple[str, ...]
    rows: list[list[str]]
    personal: bool


def _safe_cell(value: str) -> str:
    # A description starting with = + - @ would run as a formula when the file is opened in a
    # spreadsheet (CSV injection); a leading apostrophe makes it plain text.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def to_csv(export: Export) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(export.columns)
    for row in export.rows:
        writer.writerow([_safe_cell(cell) for cell in row])
    # utf-8-sig: Excel shows the kelurahan names right only with the byte-order mark.
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(export: Export) -> bytes:
    from openpyxl import Workbook  # imported on use: only the child process needs it

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("kasus")
    sheet.append(list(export.columns))
    for row in export.rows:
        sheet.append([_safe_cell(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render(export: Export, fmt: str) -> bytes:
    return to_xlsx(export) if fmt == "xlsx" else to_csv(export)


def child_command() -> list[str]:
    return module_command("services.export_file")


async def render_in_child(export: Export, fmt: str, patience: float = CHILD_TIMEOUT) -> bytes:
    """`render` in a child process; ExportFileError if it fails."""
    request = json.dumps(
        {"fmt": fmt, "columns": export.columns, "rows": export.rows, "personal": export.personal}
    ).encode()
    try:
        data = await run_child(child_command(), request, patience)
    except ChildFailed as error:
        raise ExportFileError(str(error)) from None
    expected = _XLSX_SIGNATURE if fmt == "xlsx" else b"\xef\xbb\xbf"
    if not data.startswith(expected):
        raise ExportFileError(f"the child process did not answer with a {fmt} file")
    return data


def file_name(period: Period, fmt: str, *, personal: bool) -> str:
    suffix = "-pribadi" if personal else ""
    return f"lapor-aman-kasus-{period.first:%Y%m%d}-{period.last:%Y%m%d}{suffix}.{fmt}"


def parse_csv(data: bytes) -> list[dict[str, str]]:
    """Read an export back (for checks and re-imports)."""
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _main() -> None:
    """The child: the export as JSON on stdin, the file on stdout."""
    request = json.load(sys.stdin.buffer)
    export = Export(tuple(request["columns"]), request["rows"], bool(request["personal"]))
    sys.stdout.buffer.write(render(export, request["fmt"]))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    _main()


__all__ = [
    "CHILD_TIMEOUT",
    "FORMATS",
    "Export",
    "ExportFileError",
    "child_command",
    "file_name",
    "parse_csv",
    "render",
    "render_in_child",
    "to_csv",
    "to_xlsx",
]
