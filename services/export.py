"""Case export for the city's records: one row per report, columns after Simfoni PPA.

The columns follow the national Simfoni PPA case record (registration date, case code,
category, victim's sex and age range, place, time of the incident, status, referral, outcome)
so the office can copy them into Simfoni. Headers and values are stable codes, not translated
text: the file is data other tools read. Personal data (reporter's name and phone, the
description) is only included when asked for; the caller audit-logs every export.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gazetteer import Gazetteer
from services.statistics import Period
from storage.models import Report

COLUMNS = (
    "tanggal_registrasi",
    "kode_kasus",
    "kategori",
    "jenis_kelamin_korban",
    "kelompok_umur_korban",
    "kategori_korban",
    "kecamatan",
    "kelurahan",
    "waktu_kejadian",
    "mendesak",
    "status",
    "rujukan",
    "hasil",
    "tanggal_diterima",
    "tanggal_selesai",
)
PERSONAL_COLUMNS = ("nama_pelapor", "telepon_pelapor", "kronologi")
# Simfoni records the victim's sex as P (perempuan) / L (laki-laki).
_SEX = {"adult_woman": "P", "girl": "P", "boy": "L"}
FORMATS = ("csv", "xlsx")


@dataclass(frozen=True, slots=True)
class Export:
    columns: tuple[str, ...]
    rows: list[list[str]]
    personal: bool


def _local(value: datetime | None, tz: ZoneInfo) -> str:
    return "" if value is None else value.astimezone(tz).strftime("%Y-%m-%d %H:%M")


async def export_cases(
    session: AsyncSession,
    period: Period,
    tz: ZoneInfo,
    gazetteer: Gazetteer,
    *,
    personal: bool = False,
) -> Export:
    start, end = period.bounds(tz)
    reports = await session.scalars(
        select(Report)
        .where(Report.created_at >= start, Report.created_at < end)
        .order_by(Report.created_at, Report.id)
    )
    rows: list[list[str]] = []
    for report in reports:
        kel = gazetteer.kelurahan(report.kelurahan_id)
        kec = gazetteer.kecamatan(kel.kecamatan_id) if kel is not None else None
        row = [
            _local(report.created_at, tz),
            report.code,
            report.category,
            _SEX.get(report.victim, "-"),
            report.victim_age,
            report.victim,
            kec.name if kec is not None else "",
            kel.name if kel is not None else "",
            report.occurred,
            "ya" if report.urgent else "tidak",
            report.status,
            report.referral_partner or "",
            report.outcome or "",
            _local(report.acknowledged_at, tz),
            _local(report.closed_at, tz),
        ]
        if personal:
            # Only decrypted here, on explicit request; anonymous reports have none.
            row += [
                report.reporter_name or "",
                report.reporter_phone or "",
                report.description or "",
            ]
        rows.append(row)
    columns = COLUMNS + PERSONAL_COLUMNS if personal else COLUMNS
    return Export(columns, rows, personal)


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
    from openpyxl import Workbook  # imported on use: the bot starts faster without it

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


def file_name(period: Period, fmt: str, *, personal: bool) -> str:
    suffix = "-pribadi" if personal else ""
    return f"lapor-aman-kasus-{period.first:%Y%m%d}-{period.last:%Y%m%d}{suffix}.{fmt}"


def parse_csv(data: bytes) -> list[dict[str, str]]:
    """Read an export back (for checks and re-imports)."""
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


__all__ = [
    "COLUMNS",
    "FORMATS",
    "PERSONAL_COLUMNS",
    "Export",
    "export_cases",
    "file_name",
    "parse_csv",
    "render",
    "to_csv",
    "to_xlsx",
]
