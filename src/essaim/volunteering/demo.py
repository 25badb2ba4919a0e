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
