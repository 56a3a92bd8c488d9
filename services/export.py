"""Case export for the city's records: one row per report, columns after Simfoni PPA.

The columns follow the national Simfoni PPA case record (registration date, case code,
category, victim's sex and age range, place, time of the incident, status, referral, outcome)
so the office can copy them into Simfoni. The file is a record in Simfoni's own (Indonesian)
terms whatever the coordinator's language: each coded field is a column of Simfoni's label
(`kategori`: "Kekerasan seksual") beside a `_kode` column of the stable code other tools read
(`kategori_kode`: "sexual"). Headers are stable too. Personal data (reporter's name and
phone, the description) is only included when asked for; the caller audit-logs every export.
The file itself is written by services/export_file.py.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from services.export_file import Export
from services.gazetteer import Gazetteer
from services.statistics import Period
from storage.repositories import export as export_rows

COLUMNS = (
    "tanggal_registrasi",
    "kode_kasus",
    "kategori",
    "kategori_kode",
    "jenis_kelamin_korban",
    "kelompok_umur_korban",
    "kelompok_umur_kode",
    "kategori_korban",
    "kategori_korban_kode",
    # ABH only: the child's part; TPPO only: recruitment and a border crossed.
    "peran_anak",
    "peran_anak_kode",
    "cara_perekrutan",
    "cara_perekrutan_kode",
    "lintas_batas",
    "lintas_batas_kode",
    "kecamatan",
    "kelurahan",
    "waktu_kejadian",
    "waktu_kejadian_kode",
    "mendesak",
    "status",
    "status_kode",
    "rujukan",
    "rujukan_kode",
    "hasil",
    "hasil_kode",
    "tanggal_diterima",
    "tanggal_selesai",
)
# Where a trafficked person is held or works is what a resident typed: personal, like the rest.
PERSONAL_COLUMNS = ("nama_pelapor", "telepon_pelapor", "kronologi", "tempat_ditahan_bekerja")
# Simfoni records the victim's sex as P (perempuan) / L (laki-laki).
_SEX = {"adult_woman": "P", "girl": "P", "boy": "L"}
# Simfoni PPA's terms for the stored codes (the national record is in Indonesian).
SIMFONI_LABELS: dict[str, dict[str, str]] = {
    "category": {
        "physical": "Kekerasan fisik",
        "psychological": "Kekerasan psikis",
        "sexual": "Kekerasan seksual",
        "exploitation": "Eksploitasi",
        "trafficking": "Tindak pidana perdagangan orang (TPPO)",
        "neglect": "Penelantaran",
        "child_in_conflict": "Anak berhadapan dengan hukum (ABH)",
        "other": "Lainnya",
    },
    "victim": {
        "adult_woman": "Perempuan dewasa",
        "girl": "Anak perempuan",
        "boy": "Anak laki-laki",
        "other": "Lainnya",
    },
    "age": {"60+": "60 tahun ke atas", "unknown": "Tidak diketahui"},
    # UU SPPA's terms for the child in a case of anak berhadapan dengan hukum.
    "child_role": {
        "offender": "Anak yang berkonflik dengan hukum",
        "victim": "Anak korban",
        "witness": "Anak saksi",
    },
    "recruitment": {
        "job_offer": "Tawaran pekerjaan",
        "marriage": "Janji pernikahan",
        "online": "Media sosial/daring",
        "debt": "Jeratan utang",
        "forced": "Penculikan/pemaksaan",
        "unknown": "Tidak diketahui",
    },
    "border": {
        "abroad": "Lintas negara",
        "province": "Antarprovinsi",
        "none": "Dalam provinsi",
        "unknown": "Tidak diketahui",
    },
    "occurred": {
        "ongoing": "Sedang berlangsung",
        "today": "Hari ini",
        "yesterday": "Kemarin",
        "this_week": "Minggu ini",
        "earlier": "Lebih lama",
    },
    "status": {
        "baru": "Baru",
        "diterima": "Diterima",
        "ditangani": "Ditangani",
        "dirujuk": "Dirujuk",
        "selesai": "Selesai",
    },
    "partner": {
        "uppa": "UPPA Polresta",
        "uptd_ppa": "UPTD PPA",
        "puskesmas": "Puskesmas",
        "other": "Mitra lain",
    },
    "outcome": {
        "resolved": "Ditangani dan selesai",
        "referred": "Dirujuk, ditindaklanjuti mitra",
        "unreachable": "Pihak terkait tidak dapat dihubungi",
        "invalid": "Laporan tidak valid",
        "other": "Hasil lain",
    },
}


def _age_label(code: str | None) -> str:
    """`0-5 tahun`; the two groups that are not a plain range in words."""
    if not code:
        return ""
    return SIMFONI_LABELS["age"].get(code) or f"{code} tahun"


def _labelled(table: str, code: str | None) -> list[str]:
    """The label and the code, as two cells (a code nobody labelled stays as it is)."""
    if not code:
        return ["", ""]
    return [SIMFONI_LABELS[table].get(code, code), code]


# Rows fetched and made between two turns of the event loop: a five-year export is 100,000
# of them, and alerts must not wait for it to finish (about 2 ms per chunk).
_CHUNK = 500


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
    # Personal columns are only read, and so only decrypted, on explicit request; anonymous
    # reports have none.
    start, end = period.bounds(tz)
    rows: list[list[str]] = []
    chunks = export_rows.case_chunks(session, start, end, personal=personal, chunk=_CHUNK)
    async for chunk in chunks:
        for report in chunk:
            kel = gazetteer.kelurahan(report.kelurahan_id)
            kec = gazetteer.kecamatan(kel.kecamatan_id) if kel is not None else None
            row = [
                _local(report.created_at, tz),
                report.code,
                *_labelled("category", report.category),
                _SEX.get(report.victim, "-"),
                _age_label(report.victim_age),
                report.victim_age or "",
                *_labelled("victim", report.victim),
                *_labelled("child_role", report.child_role),
                *_labelled("recruitment", report.recruitment),
                *_labelled("border", report.border),
                kec.name if kec is not None else "",
                kel.name if kel is not None else "",
                *_labelled("occurred", report.occurred),
                "ya" if report.urgent else "tidak",
                *_labelled("status", report.status),
                *_labelled("partner", report.referral_partner),
                *_labelled("outcome", report.outcome),
                _local(report.acknowledged_at, tz),
                _local(report.closed_at, tz),
            ]
            if personal:
                row += [
                    report.reporter_name or "",
                    report.reporter_phone or "",
                    report.description or "",
                    report.held_at or "",
                ]
            rows.append(row)
    columns = COLUMNS + PERSONAL_COLUMNS if personal else COLUMNS
    return Export(columns, rows, personal)


__all__ = ["COLUMNS", "PERSONAL_COLUMNS", "SIMFONI_LABELS", "export_cases"]
