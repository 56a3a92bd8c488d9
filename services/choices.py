"""The fixed choices of a report, as stable codes stored in the database.

Categories follow the national Simfoni PPA case categories. What a user reads for each code
lives in the catalogs (conversations/texts.py maps codes to translatable labels).
"""

from __future__ import annotations

RELATIONS = ("victim", "family", "witness", "companion", "other")
CATEGORIES = (
    "physical",
    "psychological",
    "sexual",
    "exploitation",
    "trafficking",
    "neglect",
    "child_in_conflict",
    "other",
)
VICTIMS = ("adult_woman", "girl", "boy", "other")
# ABH (anak berhadapan dengan hukum): the report is about a child, a girl or a boy.
CHILDREN = ("girl", "boy")
CHILD_AGES = ("0-5", "6-12", "13-17")
ADULT_AGES = ("18-24", "25-44", "45-59", "60+")
UNKNOWN_AGE = "unknown"
OCCURRED = ("ongoing", "today", "yesterday", "this_week", "earlier")
EVIDENCE_KINDS = ("photo", "video", "voice", "audio", "document", "video_note")

# ABH: the child's part, in the terms of the juvenile justice law (UU SPPA) Simfoni PPA uses:
# the child in conflict with the law (suspected of the offence), the child victim, the child
# witness.
CHILD_ROLES = ("offender", "victim", "witness")
# TPPO: how the person was recruited or brought in, and whether they were taken across a border.
RECRUITMENTS = ("job_offer", "marriage", "online", "debt", "forced", "unknown")
BORDERS = ("abroad", "province", "none", "unknown")

ABH = "child_in_conflict"
TPPO = "trafficking"

# Report statuses, in the order a case normally moves through them.
STATUSES = ("baru", "diterima", "ditangani", "dirujuk", "selesai")


def victims_for(category: str | None) -> tuple[str, ...]:
    """Who the report can be about: for ABH, a child."""
    return CHILDREN if category == ABH else VICTIMS


def ages_for(victim: str | None) -> tuple[str, ...]:
    """Age ranges that make sense for the chosen victim (a girl is never 25-44)."""
    if victim in ("girl", "boy"):
        return (*CHILD_AGES, UNKNOWN_AGE)
    if victim == "adult_woman":
        return (*ADULT_AGES, UNKNOWN_AGE)
    return (*CHILD_AGES, *ADULT_AGES, UNKNOWN_AGE)
