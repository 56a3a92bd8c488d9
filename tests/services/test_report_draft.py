"""Order of steps, back and edit rules of the report draft (no Telegram involved)."""

from __future__ import annotations

from dataclasses import asdict

from services.report_draft import (
    EDIT_GROUPS,
    STEPS,
    Attachment,
    Draft,
    enter,
    go_back,
    next_step,
    start_editing,
)


def walk(draft: Draft, answers: int | None = None) -> list[str]:
    """Answer `answers` steps from the start (all of them when None)."""
    step = "danger"
    visited = [step]
    while step != "summary" and (answers is None or len(visited) <= answers):
        target = next_step(draft, step)
        enter(draft, step, target)
        step = target
        visited.append(step)
    return visited


def test_anonymous_reporters_skip_name_and_phone() -> None:
    draft = Draft(anonymous=True)
    steps = walk(draft)
    assert "name" not in steps and "phone" not in steps
    assert steps[-3:] == ["identity", "consent", "summary"]


def test_named_reporters_are_asked_name_and_phone() -> None:
    draft = Draft(anonymous=False)
    steps = walk(draft)
    assert steps[-4:] == ["name", "phone", "consent", "summary"]


def test_back_retraces_the_visited_steps() -> None:
    draft = Draft()
    assert walk(draft, 3) == ["danger", "relation", "category", "victim"]
    assert go_back(draft, "victim") == "category"
    assert go_back(draft, "category") == "relation"
    assert go_back(draft, "relation") == "danger"
    assert go_back(draft, "danger") is None


def test_editing_a_group_returns_to_the_summary_after_its_last_step() -> None:
    draft = Draft(anonymous=False)
    first = start_editing(draft, "place")
    assert first == "kecamatan"
    path = [first]
    while path[-1] != "summary":
        target = next_step(draft, path[-1])
        enter(draft, path[-1], target)
        path.append(target)
    assert path == ["kecamatan", "kelurahan", "landmark", "location", "summary"]
    assert draft.editing is None and draft.history == []


def test_back_from_the_first_step_of_an_edit_returns_to_the_summary() -> None:
    draft = Draft()
    start_editing(draft, "victim")
    assert go_back(draft, "victim") == "summary"
    assert draft.editing is None


def test_every_edit_group_names_real_steps() -> None:
    for steps in EDIT_GROUPS.values():
        assert all(step in STEPS for step in steps)


def test_draft_survives_serialisation() -> None:
    draft = Draft(
        urgent=True,
        description_parts=["a", "b"],
        description_voice=Attachment("voice", "f1", 1, 2),
        evidence=[Attachment("photo", "f2", 1, 3)],
        history=["danger"],
    )
    again = Draft.from_dict(draft.to_dict())
    assert again == draft
    assert again.description == "a\n\nb"


def test_the_saved_draft_is_a_copy_that_later_answers_do_not_change() -> None:
    draft = Draft(
        urgent=False,
        location={"latitude": -2.2, "longitude": 113.9},
        description_parts=["a"],
        description_voice=Attachment("voice", "f1", 1, 2),
        evidence=[Attachment("photo", "f2", 1, 3, "bukti")],
        history=["danger"],
    )
    saved = draft.to_dict()
    assert saved == asdict(draft)
    draft.location["latitude"] = 0.0  # type: ignore[index]
    draft.description_parts.append("b")
    draft.history.append("relation")
    draft.evidence.append(Attachment("photo", "f3", 1, 4))
    draft.evidence[0].caption = "lain"
    assert saved["location"] == {"latitude": -2.2, "longitude": 113.9}
    assert saved["description_parts"] == ["a"]
    assert saved["history"] == ["danger"]
    assert saved["evidence"] == [
        {"kind": "photo", "file_id": "f2", "chat_id": 1, "message_id": 3, "caption": "bukti"}
    ]


def test_missing_lists_unanswered_required_steps() -> None:
    draft = Draft()
    assert draft.missing()[0] == "danger"
    complete = Draft(
        urgent=False,
        relation="witness",
        category="neglect",
        victim="boy",
        victim_age="6-12",
        kecamatan_id=1,
        kelurahan_id=2,
        occurred="today",
        description_parts=["x"],
        anonymous=True,
        consent=False,
    )
    assert complete.missing() == []
    complete.victim_age = "25-44"  # not an age range for a boy
    assert complete.missing() == ["victim_age"]


def test_abh_and_tppo_ask_their_own_questions_and_others_none() -> None:
    other = walk(Draft(anonymous=True, category="physical"))
    abh = walk(Draft(anonymous=True, category="child_in_conflict"))
    tppo = walk(Draft(anonymous=True, category="trafficking"))
    own = ("child_role", "recruitment", "held_at", "border")
    assert not set(own) & set(other)
    assert [s for s in abh if s in own] == ["child_role"]
    assert [s for s in tppo if s in own] == ["recruitment", "held_at", "border"]
    assert len(abh) == len(other) + 1 and len(tppo) == len(other) + 3


def test_a_new_category_asks_what_it_needs_before_the_summary() -> None:
    draft = Draft(
        category="child_in_conflict", victim="adult_woman", victim_age="25-44", anonymous=True
    )
    start_editing(draft, "category")
    assert next_step(draft, "category") == "victim"
    assert draft.editing == "victim"
    draft.victim, draft.victim_age = "girl", "6-12"
    assert next_step(draft, "victim_age") == "child_role"
    draft.child_role = "witness"
    assert next_step(draft, "child_role") == "summary"
