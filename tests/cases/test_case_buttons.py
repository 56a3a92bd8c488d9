"""The case buttons' callback data, built as plain strings in services and parsed in
conversations, stay in step; buttons from before versions existed still parse."""

from __future__ import annotations

from conversations.callbacks import CaseCb
from services import case_buttons as cb


def test_packed_buttons_parse_with_their_version() -> None:
    parsed = CaseCb.unpack(cb.pack(cb.OUTCOME, 2**31 - 1, "unreachable", 4321))
    assert (parsed.action, parsed.report_id, parsed.value, parsed.version) == (
        cb.OUTCOME,
        2**31 - 1,
        "unreachable",
        4321,
    )
    assert len(cb.pack(cb.REOPEN_YES, 2**31 - 1, "", 10**9).encode()) <= 64
    assert CaseCb.unpack(cb.pack(cb.FULL, 7)).version is None
    assert CaseCb(action=cb.OPEN, report_id=7).pack() == cb.pack(cb.OPEN, 7)


def test_buttons_from_before_versions_parse_without_one() -> None:
    old = CaseCb.unpack("k:handling:12:")
    assert (old.action, old.report_id, old.version) == (cb.HANDLING, 12, None)
