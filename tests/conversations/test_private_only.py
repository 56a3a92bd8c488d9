"""The bot works in private chats only: in a group, a command gets one short line pointing to
the private chat, and nothing about cases, reports or anyone's role."""

from __future__ import annotations

from playground.emulator import BotAPIEmulator
from tests.cases.staffing import add_officer, file_report
from tests.fixtures.bot import COORDINATOR_ID, RunningBot
from tests.translations import translate

GROUP = -1001234567001
OFFICER, RESIDENT = 4101, 4102
ONLY_PRIVATE = "🔒 I only work in a private chat. Please write to me directly."


async def test_commands_in_a_group_get_one_short_line(
    bot: RunningBot, emulator: BotAPIEmulator
) -> None:
    await add_officer(bot.service, OFFICER, "Kalampangan", name="Bu Rina")
    _, code = await file_report(bot.service, "Kalampangan")
    await emulator.user(OFFICER).wait_for(code)
    group = emulator.create_group(GROUP, "Warga RT 03")
    line = translate("id", ONLY_PRIVATE)
    for user_id, command in ((COORDINATOR_ID, "/kasus"), (OFFICER, "/kasus"), (RESIDENT, "/lapor")):
        user = emulator.user(user_id)
        before = len(group.bot_messages())
        await user.send_command(command, chat_id=group.id)
        answer = await user.wait_for(chat_id=group.id)
        assert answer.text == line, f"{command} of {user_id} answered in the group"
        assert len(group.bot_messages()) == before + 1

    # Plain talk, and a command for another bot, get nothing at all: the same person's updates
    # are handled in order, so once the marker's line is there, the others were handled.
    resident = emulator.user(RESIDENT)
    before = len(group.bot_messages())
    await resident.send_text("halo semua", chat_id=group.id)
    await resident.send_command("/kasus@SomeOtherBot", chat_id=group.id)
    await resident.send_command("/bantuan", chat_id=group.id)
    await resident.wait_for(line, chat_id=group.id)
    assert [m.text for m in group.bot_messages()[before:]] == [line]
    assert not any(code in m.text for m in group.bot_messages())
    # The resident's private chat heard nothing of it; /lapor there still works.
    assert not resident.chat.bot_messages()
