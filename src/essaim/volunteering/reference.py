"""Reference lists of volunteering: skills, causes, languages, the weekly availability grid.

The default skills are data, shown to every association; an association adds its own
(AssociationSkill) and they appear on its missions and in its volunteers' profiles.
"""

from django.utils.translation import gettext_lazy as _

DEFAULT_SKILLS: tuple[tuple[str, object], ...] = (
    ("accueil", _("Welcoming the public")),
    ("animation", _("Leading activities")),
    ("aide-devoirs", _("Homework help")),
    ("alphabetisation", _("Literacy and French lessons")),
    ("bricolage", _("DIY and repairs")),
    ("cuisine", _("Cooking")),
    ("jardinage", _("Gardening")),
    ("logistique", _("Logistics and handling")),
    ("conduite", _("Driving (licence B)")),
    ("distribution", _("Food distribution")),
    ("ecoute", _("Listening and support")),
    ("accompagnement", _("Accompanying people")),
    ("secourisme", _("First aid (PSC1)")),
    ("comptabilite", _("Accounting")),
    ("juridique", _("Legal advice")),
    ("communication", _("Communication")),
    ("reseaux-sociaux", _("Social media")),
    ("graphisme", _("Graphic design")),
    ("photo-video", _("Photo and video")),
    ("redaction", _("Writing")),
    ("traduction", _("Translation")),
    ("informatique", _("Computing and digital help")),
    ("developpement-web", _("Web development")),
    ("collecte-fonds", _("Fundraising")),
    ("evenementiel", _("Event organisation")),
    ("sport", _("Sport coaching")),
    ("musique", _("Music")),
    ("theatre", _("Theatre and arts")),
    ("sante", _("Health professions")),
    ("petite-enfance", _("Early childhood")),
    ("personnes-agees", _("Visiting elderly people")),
    ("handicap", _("Disability support")),
    ("environnement", _("Nature and clean-ups")),
    ("gestion-projet", _("Project management")),
    ("ressources-humaines", _("Human resources")),
    ("secretariat", _("Administration and secretariat")),
)

CAUSES: tuple[tuple[str, object], ...] = (
    ("solidarite", _("Solidarity and social action")),
    ("education", _("Education")),
    ("sante", _("Health")),
    ("environnement", _("Environment")),
    ("culture", _("Culture")),
    ("sport", _("Sport")),
    ("animaux", _("Animal welfare")),
    ("droits", _("Human rights and citizenship")),
    ("humanitaire", _("Humanitarian and international")),
    ("urgence", _("Emergency and civil protection")),
    ("quartier", _("Neighbourhood life")),
)
CAUSE_CODES = frozenset(code for code, _label in CAUSES)

LANGUAGES: tuple[tuple[str, object], ...] = (
    ("fr", _("French")),
    ("en", _("English")),
    ("es", _("Spanish")),
    ("de", _("German")),
    ("it", _("Italian")),
    ("pt", _("Portuguese")),
    ("ar", _("Arabic")),
    ("br", _("Breton")),
    ("lsf", _("French Sign Language")),
)
LANGUAGE_CODES = frozenset(code for code, _label in LANGUAGES)

DAYS = (
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
)
PARTS = (_("morning"), _("afternoon"), _("evening"))
# The weekly grid as a 21-bit mask: bit day*3 + part (Monday morning = bit 0).
SLOTS = tuple(
    (str(day * 3 + part), f"{DAYS[day]} {PARTS[part]}") for day in range(7) for part in range(3)
)
FULL_WEEK = (1 << 21) - 1


def mask_from_slots(slots) -> int:
    mask = 0
    for slot in slots or ():
        index = int(slot)
        if not 0 <= index < 21:
            raise ValueError(slot)
        mask |= 1 << index
    return mask


def slots_from_mask(mask: int) -> list[str]:
    return [str(index) for index in range(21) if mask & (1 << index)]


def skill_choices(association=None) -> list[tuple[str, str]]:
    """The default skills, then the association's own (when given)."""
    choices = [(code, str(label)) for code, label in DEFAULT_SKILLS]
    if association is not None:
        from .models import AssociationSkill

        choices += [
            (skill.code, skill.label)
            for skill in AssociationSkill.objects.filter(association=association).order_by("label")
        ]
    return choices


def all_skill_labels() -> dict[str, str]:
    """Every known skill code → label (defaults and every association's own)."""
    from django_scopes import scopes_disabled

    from .models import AssociationSkill

    labels = {code: str(label) for code, label in DEFAULT_SKILLS}
    with scopes_disabled():
        for code, label in AssociationSkill.objects.values_list("code", "label"):
            labels.setdefault(code, label)
    return labels
