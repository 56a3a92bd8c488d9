"""What people read for each stored code, as English msgids.

`N_` only marks a string for extraction into the catalogs; it is translated where it is shown
(`_()` in conversations, `translator()` for outbox texts), so both layers share one list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping


def N_(message: str) -> str:
    return message


RELATION = {
    "victim": N_("I am the victim"),
    "family": N_("Family member"),
    "witness": N_("Witness"),
    "companion": N_("Companion / social worker"),
    "other": N_("Other"),
}
CATEGORY = {
    "physical": N_("Physical violence"),
    "psychological": N_("Psychological violence"),
    "sexual": N_("Sexual violence"),
    "exploitation": N_("Exploitation"),
    "trafficking": N_("Human trafficking (TPPO)"),
    "neglect": N_("Neglect"),
    "child_in_conflict": N_("Child in conflict with the law (ABH)"),
    "other": N_("Other"),
}
VICTIM = {
    "adult_woman": N_("Adult woman"),
    "girl": N_("Girl"),
    "boy": N_("Boy"),
    "other": N_("Other"),
}
AGE = {
    "0-5": N_("0–5 years"),
    "6-12": N_("6–12 years"),
    "13-17": N_("13–17 years"),
    "18-24": N_("18–24 years"),
    "25-44": N_("25–44 years"),
    "45-59": N_("45–59 years"),
    "60+": N_("60 years or older"),
    "unknown": N_("Don't know"),
}
OCCURRED = {
    "ongoing": N_("Happening now"),
    "today": N_("Today"),
    "yesterday": N_("Yesterday"),
    "this_week": N_("This week"),
    "earlier": N_("Earlier"),
}
CHILD_ROLE = {
    "offender": N_("Suspected of the offence (child in conflict with the law)"),
    "victim": N_("Victim of the offence (child victim)"),
    "witness": N_("Witness of the offence (child witness)"),
    "unknown": N_("Not recorded"),  # ABH reports from before the question was asked
}
RECRUITMENT = {
    "job_offer": N_("A job offer"),
    "marriage": N_("A promise of marriage"),
    "online": N_("Through social media or the internet"),
    "debt": N_("A debt to pay off"),
    "forced": N_("Kidnapped or forced"),
    "unknown": N_("Don't know"),
}
BORDER = {
    "abroad": N_("Yes, to another country"),
    "province": N_("Yes, to another province"),
    "none": N_("No, within this province"),
    "unknown": N_("Don't know"),
}
STATUS = {
    "baru": N_("Received, waiting for an officer"),
    "diterima": N_("Taken by an officer"),
    "ditangani": N_("Being handled"),
    "dirujuk": N_("Referred to a partner service"),
    "selesai": N_("Closed"),
}
EVIDENCE = {
    "photo": N_("photo"),
    "video": N_("video"),
    "voice": N_("voice note"),
    "audio": N_("audio"),
    "document": N_("document"),
    "video_note": N_("video message"),
}
PARTNER = {
    "uppa": N_("UPPA Polresta"),
    "uptd_ppa": N_("UPTD PPA"),
    "puskesmas": N_("Puskesmas"),
    "other": N_("Other partner"),
}
OUTCOME = {
    "resolved": N_("Handled and resolved"),
    "referred": N_("Referred, follow-up by the partner"),
    "unreachable": N_("Could not reach the people involved"),
    "invalid": N_("Not a valid report"),
    "other": N_("Other outcome"),
}


def label(translate: Callable[[str], str], labels: Mapping[str, str], code: str | None) -> str:
    """The translated label of `code`, or the code itself if it is unknown."""
    if code is None:
        return "–"
    message = labels.get(code)
    return translate(message) if message is not None else code
