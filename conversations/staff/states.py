"""States of the staff conversations where the coordinator types something (see staff.mmd)."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class StaffForm(StatesGroup):
    # /petugas -> ➕ Add a kelurahan: waiting for its name; data: officer_id.
    officer_kelurahan = State()
    # /jadwal -> ➕ Add a shift: waiting for "Senin 08:00-16:00 [id]"; data: kelurahan_id.
    shift = State()
