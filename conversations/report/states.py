"""One aiogram state per step of the resident's report (see report.mmd)."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup

from services.report_draft import STEPS


class ReportForm(StatesGroup):
    danger = State()
    relation = State()
    category = State()
    victim = State()
    victim_age = State()
    child_role = State()
    recruitment = State()
    held_at = State()
    border = State()
    kecamatan = State()
    kelurahan = State()
    landmark = State()
    location = State()
    occurred = State()
    description = State()
    evidence = State()
    identity = State()
    name = State()
    phone = State()
    consent = State()
    summary = State()
    edit = State()


STATE_OF_STEP: dict[str, State] = {step: getattr(ReportForm, step) for step in (*STEPS, "edit")}
STEP_OF_STATE: dict[str, str] = {
    state.state: step for step, state in STATE_OF_STEP.items() if state.state
}


def step_of(state_name: str | None) -> str | None:
    return STEP_OF_STATE.get(state_name or "")
