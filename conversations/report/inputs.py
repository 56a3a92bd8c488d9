"""Typed answers, pins, contacts and files inside the report.

Anything a step does not expect (a sticker where a name is asked, a photo on a button question)
gets a friendly re-prompt and leaves the draft untouched.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from conversations.filters import COMMAND, NOT_A_COMMAND, TEXT, Matches
from conversations.report import flow
from conversations.report import keyboards as kb
from conversations.report.buttons import choose_kecamatan, choose_kelurahan
from conversations.report.context import StepContext
from conversations.report.questions import DONE, evidence_done_label
from conversations.report.states import ReportForm
from conversations.texts import EVIDENCE_LABELS, label
from services.report_draft import (
    MAX_DESCRIPTION,
    MAX_EVIDENCE,
    MAX_HELD_AT,
    MAX_LANDMARK,
    MAX_NAME,
    Attachment,
)


def _is(text: str | None, button_label: str) -> bool:
    return (text or "").strip() == button_label


# --- place --------------------------------------------------------------------------------


async def typed_kecamatan(message: Message, ctx: StepContext) -> None:
    matches = ctx.gazetteer.match_kecamatan(message.text or "")
    if len(matches) == 1:
        await ctx.say(_("✓ Kecamatan {name}").format(name=matches[0].name))
        await choose_kecamatan(ctx, matches[0].id)
        return
    await _not_found_place(ctx, [m.name for m in matches])


async def typed_kelurahan(message: Message, ctx: StepContext) -> None:
    matches = ctx.gazetteer.match_kelurahan(message.text or "", ctx.draft.kecamatan_id)
    if len(matches) == 1:
        await ctx.say(_("✓ Kelurahan {name}").format(name=matches[0].name))
        await choose_kelurahan(ctx, matches[0].id)
        return
    await _not_found_place(ctx, [m.name for m in matches])


async def _not_found_place(ctx: StepContext, candidates: list[str]) -> None:
    if candidates:
        await ctx.say(
            _("Did you mean one of these? {names}. Please choose with the buttons.").format(
                names=", ".join(candidates)
            )
        )
    else:
        await ctx.say(_("I could not find that name. Please choose with the buttons."))
    await ctx.show(ctx.step)


async def typed_landmark(message: Message, ctx: StepContext) -> None:
    text = (message.text or "").strip()
    empty = _("The message is empty. Type a landmark, or press Skip.")
    if await _fits(ctx, text, empty, MAX_LANDMARK):
        ctx.draft.landmark = text
        await ctx.advance()


async def typed_held_at(message: Message, ctx: StepContext) -> None:
    """TPPO: where the person is held or works, as the resident knows it."""
    text = " ".join((message.text or "").split())
    empty = _("The message is empty. Type the place, or press Skip.")
    if await _fits(ctx, text, empty, MAX_HELD_AT):
        ctx.draft.held_at = text
        await ctx.advance()


async def _fits(ctx: StepContext, text: str, empty: str, limit: int) -> bool:
    """A typed answer that is neither empty nor too long; otherwise the resident is told."""
    if not text:
        await ctx.say(empty)
        return False
    if len(text) > limit:
        await ctx.say(
            _("That is too long: please keep it under {limit} characters.").format(limit=limit)
        )
        return False
    return True


async def shared_location(message: Message, ctx: StepContext) -> None:
    assert message.location is not None
    ctx.draft.location = {
        "latitude": message.location.latitude,
        "longitude": message.location.longitude,
    }
    await flow.acknowledge(ctx.bot, ctx.chat_id, _("✓ Location saved."))
    await ctx.advance()


async def location_reply_buttons(message: Message, ctx: StepContext) -> None:
    if _is(message.text, kb.skip_label()):
        ctx.draft.location = None
        await flow.acknowledge(ctx.bot, ctx.chat_id, _("✓ No map location."))
        await ctx.advance()
    elif _is(message.text, kb.back_label()):
        await flow.acknowledge(ctx.bot, ctx.chat_id, "⬅️")
        await ctx.back()
    else:
        await ctx.say(_("Please use the buttons below: share the location, or skip."))


# --- the story ----------------------------------------------------------------------------


async def typed_description(message: Message, ctx: StepContext) -> None:
    text = (message.text or "").strip()
    if not text:
        await ctx.say(_("The message is empty. Please write what happened."))
        return
    room = ctx.draft.description_room()
    if not room:
        await ctx.say(
            _(
                "The description is full: a report holds at most {limit} characters. "
                "What you wrote before is kept; press Done to go on."
            ).format(limit=MAX_DESCRIPTION)
        )
        return
    if len(text) > room:
        # Splitting would not help: the room is for the whole description.
        await ctx.say(
            ngettext(
                "That message is too long to add: it has {length} characters, and this "
                "report has room for {room} more character. Please shorten it; what you "
                "wrote before is kept.",
                "That message is too long to add: it has {length} characters, and this "
                "report has room for {room} more characters. Please shorten it; what you "
                "wrote before is kept.",
                room,
            ).format(length=len(text), room=room)
        )
        return
    ctx.draft.description_parts.append(text)
    await _description_saved(ctx)


async def voice_description(message: Message, ctx: StepContext) -> None:
    assert message.voice is not None
    ctx.draft.description_voice = Attachment(
        kind="voice",
        file_id=message.voice.file_id,
        chat_id=ctx.chat_id,
        message_id=message.message_id,
        caption=(message.caption or "").strip() or None,
    )
    await _description_saved(ctx)


async def _description_saved(ctx: StepContext) -> None:
    await ctx.save()
    await ctx.post(
        _("✓ Saved. You can add more, or press Done."),
        kb.choices("description", [], extra=[(DONE, _("✅ Done"))]),
    )


_MEDIA = Matches(F.photo | F.video | F.voice | F.audio | F.document | F.video_note)


async def evidence_file(message: Message, ctx: StepContext) -> None:
    attachment = _attachment(message, ctx.chat_id)
    if attachment is None:
        return
    if len(ctx.draft.evidence) >= MAX_EVIDENCE:
        await ctx.post(
            _("You have already sent {limit} files, the most one report can hold.").format(
                limit=MAX_EVIDENCE
            ),
            kb.choices("evidence", [], extra=[(DONE, evidence_done_label(MAX_EVIDENCE))]),
        )
        return
    ctx.draft.evidence.append(attachment)
    await ctx.save()
    count = len(ctx.draft.evidence)
    await ctx.post(
        _("✓ {kind} received ({count} of at most {limit}). Send more, or press Done.").format(
            kind=label(EVIDENCE_LABELS, attachment.kind).capitalize(),
            count=count,
            limit=MAX_EVIDENCE,
        ),
        kb.choices("evidence", [], extra=[(DONE, evidence_done_label(count))]),
    )


def _attachment(message: Message, chat_id: int) -> Attachment | None:
    kinds: list[tuple[str, str | None]] = [
        ("photo", message.photo[-1].file_id if message.photo else None),
        ("video", message.video.file_id if message.video else None),
        ("voice", message.voice.file_id if message.voice else None),
        ("audio", message.audio.file_id if message.audio else None),
        ("document", message.document.file_id if message.document else None),
        ("video_note", message.video_note.file_id if message.video_note else None),
    ]
    for kind, file_id in kinds:
        if file_id:
            return Attachment(
                kind=kind,
                file_id=file_id,
                chat_id=chat_id,
                message_id=message.message_id,
                caption=(message.caption or "").strip() or None,
            )
    return None


# --- identity -----------------------------------------------------------------------------


async def typed_name(message: Message, ctx: StepContext) -> None:
    name = " ".join((message.text or "").split())
    if not name:
        await ctx.say(_("The message is empty. Please type your name."))
        return
    if len(name) > MAX_NAME:
        await ctx.say(
            _("That is too long: please keep it under {limit} characters.").format(limit=MAX_NAME)
        )
        return
    ctx.draft.name = name
    await ctx.advance()


async def shared_contact(message: Message, ctx: StepContext) -> None:
    contact = message.contact
    assert contact is not None
    if contact.user_id != ctx.user_id:
        await ctx.say(_("Please share your own number with the button below."))
        return
    ctx.draft.phone = contact.phone_number
    await flow.acknowledge(ctx.bot, ctx.chat_id, _("✓ Phone number saved."))
    await ctx.advance()


async def phone_reply_buttons(message: Message, ctx: StepContext) -> None:
    if _is(message.text, kb.skip_label()):
        ctx.draft.phone = None
        await flow.acknowledge(ctx.bot, ctx.chat_id, _("✓ No phone number."))
        await ctx.advance()
    elif _is(message.text, kb.back_label()):
        await flow.acknowledge(ctx.bot, ctx.chat_id, "⬅️")
        await ctx.back()
    else:
        await ctx.say(_("Please use the button below to share your number, or skip."))


# --- anything else ------------------------------------------------------------------------


async def unknown_command(message: Message, ctx: StepContext) -> None:
    if ctx.draft.answered_any():
        text = _(
            "I don't know that command. Your answers so far are kept; here is the question again."
        )
    else:
        text = _("I don't know that command. Here is the question again.")
    await ctx.say(text)
    await ctx.show(ctx.step)


async def unexpected(message: Message, ctx: StepContext) -> None:
    """A sticker, photo or text where the step expects something else: explain, ask again."""
    if ctx.draft.answered_any():
        # Not "your report is kept": nothing has been sent, and it must not sound as if it was.
        text = _(
            "Sorry, I can't use that here. Your answers so far are kept; please answer the "
            "question below."
        )
    else:
        text = _("Sorry, I can't use that here. Please answer the question below.")
    await ctx.say(text)
    await ctx.show(ctx.step)


def setup() -> Router:
    router = Router(name=__name__)
    router.message.register(typed_kecamatan, StateFilter(ReportForm.kecamatan), TEXT, NOT_A_COMMAND)
    router.message.register(typed_kelurahan, StateFilter(ReportForm.kelurahan), TEXT, NOT_A_COMMAND)
    router.message.register(typed_landmark, StateFilter(ReportForm.landmark), TEXT, NOT_A_COMMAND)
    router.message.register(typed_held_at, StateFilter(ReportForm.held_at), TEXT, NOT_A_COMMAND)
    router.message.register(shared_location, StateFilter(ReportForm.location), Matches(F.location))
    router.message.register(location_reply_buttons, StateFilter(ReportForm.location), TEXT)
    router.message.register(
        typed_description, StateFilter(ReportForm.description), TEXT, NOT_A_COMMAND
    )
    router.message.register(
        voice_description, StateFilter(ReportForm.description), Matches(F.voice)
    )
    router.message.register(evidence_file, StateFilter(ReportForm.evidence), _MEDIA)
    router.message.register(typed_name, StateFilter(ReportForm.name), TEXT, NOT_A_COMMAND)
    router.message.register(shared_contact, StateFilter(ReportForm.phone), Matches(F.contact))
    router.message.register(phone_reply_buttons, StateFilter(ReportForm.phone), TEXT)
    router.message.register(unknown_command, COMMAND)
    router.message.register(unexpected)
    return router
