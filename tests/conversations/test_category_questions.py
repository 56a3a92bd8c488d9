"""ABH and TPPO ask their own questions (the child and their role; how the person was recruited,
where they are held or work, whether a border was crossed); other categories ask nothing more.
The answers reach the officer, the export and /statistik."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from playground.emulator import BotAPIEmulator
from services.export import COLUMNS, PERSONAL_COLUMNS, export_cases
from services.statistics import Period
from tests.cases.staffing import add_officer
from tests.conversations.resident import DESCRIPTION_Q, LANDMARK_Q, LOCATION_Q, Resident
from tests.conversations.test_report_flow import stored_reports
from tests.fixtures.bot import COORDINATOR_ID, RunningBot

RINA = 3191
CHILD_Q = "<b>About the child: a girl or a boy?</b>"
CHILD_AGE_Q = "<b>About how old is the child?</b>"
ROLE_Q = "<b>What is the child's part in what happened?</b>"
RECRUITED_Q = "<b>How was the person recruited or brought in?</b>\nChoose the one that fits best."
HELD_Q = (
    "<b>Where is the person held or working now?</b>\n"
    "For example a city, a company, a boat or an address. Type it, or skip if you don't know."
)
BORDER_Q = "<b>Was the person taken across a border?</b>"


async def start_report(resident: Resident, category: str) -> None:
    await resident.start()
    await resident.begin_report()
    await resident.press("No")
    await resident.expect("<b>Who is making this report?</b>")
    await resident.press("Witness")
    await resident.expect("<b>What kind of incident is it?</b>\nChoose the one that fits best.")
    await resident.press(category)


async def from_place_to_sent(resident: Resident) -> str:
    await resident.expect("<b>Where did it happen?</b>\nChoose the kecamatan, or type its name.")
    await resident.press("Sabangau", literal=True)
    await resident.press("Kalampangan", literal=True)
    await resident.user.wait_for(resident.t(LANDMARK_Q).split("\n")[0][3:-4])
    await resident.press("Skip ➡️")
    await resident.user.wait_for(resident.t(LOCATION_Q).split("\n")[0][3:-4])
    await resident.tap_reply("Skip ➡️")
    await resident.press("Today")
    await resident.user.wait_for(resident.t(DESCRIPTION_Q).split("\n")[0][3:-4])
    await resident.describe("Kejadian di dekat pasar.")
    await resident.finish_anonymously()
    return await resident.send()


async def test_abh_asks_about_the_child_and_their_role(
    resident: Resident, bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    """ABH used to ask "Siapa korbannya?" and accept "Perempuan dewasa"."""
    for user_id in (RINA, COORDINATOR_ID):
        emulator.user(user_id, first_name=f"U{user_id}")
    await add_officer(bot.service, RINA, "Kalampangan", name="Bu Rina")
    await start_report(resident, "Child in conflict with the law (ABH)")
    child = await resident.expect(CHILD_Q)
    labels = [b.text for row in child.buttons for b in row]
    assert resident.t("Adult woman") not in labels and resident.t("Girl") in labels
    await resident.press("Boy")
    ages = await resident.expect(CHILD_AGE_Q)
    assert resident.t("25–44 years") not in [b.text for row in ages.buttons for b in row]
    await resident.press("13–17 years")
    role = await resident.expect(ROLE_Q)
    assert "Langkah 4 dari 11" in role.text  # the same count of steps as any report
    await resident.press("Suspected of the offence (child in conflict with the law)")
    code = await from_place_to_sent(resident)

    [report] = await stored_reports(bot)
    assert (report.category, report.victim, report.child_role) == (
        "child_in_conflict",
        "boy",
        "offender",
    )
    alert = await emulator.user(RINA).wait_for(code)
    assert "Anak: Anak laki-laki, 13–17 tahun" in alert.text, alert.text
    assert "Peran anak: Diduga pelaku (anak yang berkonflik dengan hukum)" in alert.text
    assert "Korban:" not in alert.text

    row = await _exported(bot, code)
    assert row["peran_anak"] == "Anak yang berkonflik dengan hukum"
    assert row["peran_anak_kode"] == "offender"
    coordinator = emulator.user(COORDINATOR_ID)
    await coordinator.send_command("/statistik", _today_period(bot))
    stats = await coordinator.wait_for("Statistik")
    assert "ABH menurut peran anak" in stats.text and "berkonflik dengan hukum): 1" in stats.text


async def test_tppo_asks_how_where_and_whether_a_border_was_crossed(
    resident: Resident, bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    for user_id in (RINA, COORDINATOR_ID):
        emulator.user(user_id, first_name=f"U{user_id}")
    await add_officer(bot.service, RINA, "Kalampangan", name="Bu Rina")
    await start_report(resident, "Human trafficking (TPPO)")
    await resident.expect("<b>Who is the victim?</b>")
    await resident.press("Adult woman")
    await resident.expect("<b>About how old is the victim?</b>")
    await resident.press("18–24 years")
    await resident.expect(RECRUITED_Q)
    await resident.press("A job offer")
    await resident.expect(HELD_Q)
    await resident.user.send_text("Kapal ikan di <Pelabuhan> & gudang")
    await resident.expect(BORDER_Q)
    await resident.press("Yes, to another country")
    code = await from_place_to_sent(resident)

    [report] = await stored_reports(bot)
    assert (report.recruitment, report.held_at, report.border) == (
        "job_offer",
        "Kapal ikan di <Pelabuhan> & gudang",
        "abroad",
    )
    alert = await emulator.user(RINA).wait_for(code)
    assert "Cara direkrut: Ditawari pekerjaan" in alert.text, alert.text
    assert "Kapal ikan di <Pelabuhan> & gudang" in alert.text
    assert "Ya, ke luar negeri" in alert.text
    row = await _exported(bot, code, personal=True)
    assert (row["cara_perekrutan_kode"], row["lintas_batas"]) == ("job_offer", "Lintas negara")
    assert row["tempat_ditahan_bekerja"] == "Kapal ikan di <Pelabuhan> & gudang"
    plain = await _exported(bot, code)
    assert "tempat_ditahan_bekerja" not in plain, "where someone is held is personal data"


async def test_changing_the_category_to_abh_asks_its_questions(
    resident: Resident, bot: RunningBot
) -> None:
    await resident.start()
    await resident.begin_report()
    await resident.answer_until_description(category="Physical violence", victim="Girl")
    await resident.describe("Anak itu dipukul.")
    await resident.finish_anonymously()
    await resident.press("✏️ Change")
    await resident.press("Category")
    await resident.press("Child in conflict with the law (ABH)")
    await resident.expect(ROLE_Q)  # the girl is a child already: only her role is missing
    await resident.press("Victim of the offence (child victim)")
    summary = await resident.expect("<b>Step 11 of 11 — please check your report</b>")
    assert resident.t("Victim of the offence (child victim)") in summary.text
    await resident.send()
    [report] = await stored_reports(bot)
    assert (report.category, report.child_role) == ("child_in_conflict", "victim")


def _today_period(bot: RunningBot) -> str:
    today = bot.service.clock.now().astimezone(bot.service.settings.timezone).date()
    return f"{today:%d-%m-%Y} {today:%d-%m-%Y}"


async def _exported(bot: RunningBot, code: str, *, personal: bool = False) -> dict[str, str]:
    tz: ZoneInfo = bot.service.settings.timezone
    today = bot.service.clock.now().astimezone(tz).date()
    period = Period(today - timedelta(days=1), today + timedelta(days=1))
    async with bot.service.session_factory() as session:
        export = await export_cases(session, period, tz, bot.service.gazetteer, personal=personal)
    columns = COLUMNS + PERSONAL_COLUMNS if personal else COLUMNS
    [row] = [dict(zip(columns, values, strict=True)) for values in export.rows if code in values]
    return row
