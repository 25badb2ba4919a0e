"""The demo's volunteering: Les Amis du Quartier (Paris 11e) and Vélo Solidaire (Lyon) publish
missions; Marc Petit, the demo citizen, has a volunteer profile near the Amis du Quartier and
an application in review; one mission of Vélo Solidaire is remote."""

import datetime as dt

from django.utils import timezone
from django_scopes import scope

from essaim.accounts.models import User
from essaim.core import demo

from . import services
from .reference import mask_from_slots

MISSIONS = {
    "quartier": [
        {
            "title": "Aide aux devoirs le mercredi après-midi",
            "description": (
                "Accompagner des collégiens du quartier dans leurs devoirs, "
                "à la maison de quartier."
            ),
            "cause": "education",
            "skills": ["aide-devoirs", "ecoute"],
            "postcode": "75011",
            "kind": "recurring",
            "time_commitment": "2 heures par semaine",
            "availability": mask_from_slots(["7"]),
            "places": 4,
            "min_age": 18,
            "questions": ["Quelles matières vous sentez-vous à l'aise d'expliquer ?"],
            "contact_name": "Hélène Martin",
        },
        {
            "title": "Fête de quartier : installation et buvette",
            "description": "Monter les stands, tenir la buvette et ranger le soir de la fête.",
            "cause": "quartier",
            "skills": ["logistique", "cuisine", "evenementiel"],
            "postcode": "75011",
            "kind": "one_off",
            "time_commitment": "une journée",
            "availability": mask_from_slots(["15", "16"]),
            "places": 10,
        },
        {
            "title": "Visites de convivialité aux aînés",
            "description": "Rendre visite chaque semaine à une personne âgée isolée du 11e.",
            "cause": "solidarite",
            "skills": ["personnes-agees", "ecoute"],
            "postcode": "75011",
            "kind": "recurring",
            "time_commitment": "1 à 2 heures par semaine",
            "places": 1,
        },
    ],
    "velo": [
        {
            "title": "Mécanicien·ne bénévole à l'atelier vélo",
            "description": (
                "Aider les adhérents à réparer leur vélo à l'atelier participatif de Lyon 7e."
            ),
            "cause": "environnement",
            "skills": ["bricolage", "accueil"],
            "postcode": "69007",
            "kind": "recurring",
            "time_commitment": "un samedi sur deux",
            "availability": mask_from_slots(["15", "16"]),
            "places": 6,
        },
        {
            "title": "Traduire le guide de la vélo-école en anglais",
            "description": "Traduire à distance le livret de la vélo-école (20 pages).",
            "cause": "environnement",
            "skills": ["traduction", "redaction"],
            "remote": True,
            "kind": "one_off",
            "time_commitment": "une dizaine d'heures",
            "places": 2,
        },
    ],
}


def _load(context: dict) -> None:
    users = context["users"]
    today = timezone.localdate()
    created = {}
    for key, coordinator in (("quartier", users["presidente"]), ("velo", users["velo"])):
        association = context[key]
        with scope(association=association):
            for fields in MISSIONS[key]:
                mission = services.mission_create(
                    association=association,
                    acting_user=coordinator,
                    starts_on=today + dt.timedelta(days=7),
                    ends_on=today + dt.timedelta(days=120),
                    **fields,
                )
                services.mission_set_status(
                    association=association,
                    acting_user=coordinator,
                    mission=mission,
                    action="publish",
                )
                created.setdefault(key, []).append(mission)
    citizen = users.get("citoyen") or User.objects.get(email="marc.petit@example.org")
    services.profile_update(
        user=citizen,
        skills=["aide-devoirs", "ecoute", "traduction"],
        causes=["education", "solidarite", "environnement"],
        availability=mask_from_slots(["7", "8", "16"]),
        postcode="75011",
        radius_km=5,
        remote_ok=True,
        languages=["fr", "en"],
        about="Professeur de maths à la retraite.",
    )
    quartier = context["quartier"]
    with scope(association=quartier):
        application = services.application_submit(
            mission=created["quartier"][0],
            user=citizen,
            answers=["Les maths et la physique."],
            consent=True,
            source="affiche",
        )
        services.application_decide(
            association=quartier,
            acting_user=users["presidente"],
            application=application,
            action="review",
        )


demo.register("volunteering", _load, order=40)


# --- Shifts and hours ----------------------------------------------------------------------
# Élodie Garnier (in both associations) is accepted on the Amis du Quartier's street party and
# the homework help: she holds a shift to come and declared two hours waiting for approval.
# The homework help has weekly shifts (Wednesdays 14:00–16:00) for six weeks, and a past one
# where two contacts were marked present (their hours are approved).


def _wednesday_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(2 - day.weekday()) % 7 or 7)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _load_shifts(context: dict) -> None:
    from essaim.people.models import Person

    from . import hours, shifts
    from .models import Mission, Shift, ShiftSignup

    users = context["users"]
    quartier, presidente = context["quartier"], users["presidente"]
    elodie = users["deux_assos"]
    today = timezone.localdate()
    services.profile_update(
        user=elodie,
        skills=["logistique", "accueil", "aide-devoirs", "secourisme"],
        causes=["quartier", "education"],
        postcode="75011",
        radius_km=3,
        languages=["fr"],
    )
    with scope(association=quartier):
        homework, party = (
            Mission.objects.get(association=quartier, title=MISSIONS["quartier"][0]["title"]),
            Mission.objects.get(association=quartier, title=MISSIONS["quartier"][1]["title"]),
        )
        for mission in (homework, party):
            application = services.application_submit(
                mission=mission,
                user=elodie,
                answers=["Le français."] * len(mission.questions),
                consent=True,
            )
            services.application_decide(
                association=quartier,
                acting_user=presidente,
                application=application,
                action="accept",
            )
        wednesday = _wednesday_after(today)
        shifts.shift_create(
            association=quartier,
            acting_user=presidente,
            mission=homework,
            starts_at=_at(wednesday, 14),
            ends_at=_at(wednesday, 16),
            capacity=2,
            location="Maison de quartier, 12 rue Oberkampf",
            notes="Apporter une trousse ; le goûter est prévu.",
            repeat_until=wednesday + dt.timedelta(weeks=5),
        )
        party_day = today + dt.timedelta(days=10)
        for start, end, capacity, skills in (
            (9, 13, 4, ["logistique"]),
            (13, 18, 3, []),
            (18, 23, 4, ["secourisme"]),
        ):
            shift = shifts.shift_create(
                association=quartier,
                acting_user=presidente,
                mission=party,
                starts_at=_at(party_day, start),
                ends_at=_at(party_day, end),
                capacity=capacity,
                qualifications=skills,
                signup_deadline=_at(party_day - dt.timedelta(days=2), 20),
                location="Square Maurice-Gardette",
            )
            if start == 9:
                shifts.signup_create(shift=shift, user=elodie)
        # A past homework shift: two contacts came.
        last_week = wednesday - dt.timedelta(weeks=1)
        past = Shift.objects.create(
            association=quartier,
            mission=homework,
            starts_at=_at(last_week, 14),
            ends_at=_at(last_week, 16),
            capacity=2,
            taken=2,
            location="Maison de quartier, 12 rue Oberkampf",
            created_by=presidente,
        )
        contacts = list(
            Person.objects.filter(association=quartier, erased_at__isnull=True)
            .exclude(user__isnull=False)
            .order_by("sort_name")[:2]
        )
        for person in contacts:
            signup = ShiftSignup.objects.create(
                association=quartier,
                shift=past,
                person=person,
                name=person.full_name or person.email,
                added_by=presidente,
            )
            shifts.signup_mark(
                association=quartier, acting_user=presidente, signup=signup, status="attended"
            )
        Shift.objects.filter(pk=past.pk).update(taken=len(contacts))
        hours.hours_declare(
            association=quartier,
            user=elodie,
            mission=party,
            worked_on=today - dt.timedelta(days=2),
            minutes=120,
            activity="Préparation des affiches et des stands",
        )


demo.register("volunteering_shifts", _load_shifts, order=41)
