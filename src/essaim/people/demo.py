"""The demo's accounts, associations and contacts (README lists the logins).

The first demo loader (core.demo): it leaves the users and associations in the context for
the loaders of the other apps.
"""

import random

from allauth.account.models import EmailAddress
from django.utils import timezone
from django_scopes import scope

from essaim.accounts.models import User
from essaim.core import demo
from essaim.core import services as core_services
from essaim.core.audit import audit_log
from essaim.core.models import Association, Role, RoleAssignment
from essaim.core.signals import seat_created
from essaim.lib.frenchdata import FrenchPeople
from essaim.people import services as people_services
from essaim.people.generation import person_from_fake
from essaim.people.models import Consent, Person, Tag

DEMO_PASSWORD = "essaim-demo-2026"

PERSONAS = {
    "presidente": ("presidente@amis-du-quartier.example", "Hélène", "Martin"),
    "tresorier": ("tresorier@amis-du-quartier.example", "Karim", "Benali"),
    "secretaire": ("secretaire@amis-du-quartier.example", "Sophie", "Lefèvre"),
    "deux_assos": ("elodie.garnier@example.org", "Élodie", "Garnier"),
    "velo": ("coordination@velo-solidaire.example", "Julien", "Moreau"),
    "citoyen": ("marc.petit@example.org", "Marc", "Petit"),
}


def _user(key: str) -> User:
    email, first, last = PERSONAS[key]
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email, password=DEMO_PASSWORD, first_name=first, last_name=last
        )
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def _seat(association: Association, user: User, preset: str) -> None:
    role = Role.objects.get(association=association, preset=preset)
    assignment, created = RoleAssignment.objects.get_or_create(
        association=association,
        user=user,
        defaults={"role": role, "sensitive_since": timezone.now() if role.is_sensitive else None},
    )
    if created:
        seat_created.send(
            sender=RoleAssignment, association=association, assignment=assignment, acting_user=user
        )


def _complete(association: Association, user: User, acting: User, **fields) -> None:
    """Fill in the contact record the team member got with their seat."""
    person = Person.objects.get(association=association, user=user)
    people_services.person_update(
        association=association, acting_user=acting, person=person, **fields
    )


def _bulk_persons(association: Association, count: int, seed: int, tags: list[str]) -> None:
    generator = FrenchPeople(seed=seed, email_share=0.92)
    rng = random.Random(seed)
    tag_objects = [Tag.objects.get_or_create(association=association, name=t)[0] for t in tags]
    batch = []
    for fake in generator.many(count):
        person = person_from_fake(association, fake)
        batch.append(person)
    Person.objects.bulk_create(batch, batch_size=500)
    created = list(Person.objects.filter(association=association, source=Person.Source.IMPORT))
    through = Person.tags.through
    links = [
        through(person_id=p.pk, tag_id=rng.choice(tag_objects).pk)
        for p in created
        if rng.random() < 0.4
    ]
    through.objects.bulk_create(links, batch_size=1000)
    consents = [
        Consent(
            association=association,
            person=p,
            topic=Consent.Topic.NEWSLETTER,
            granted=rng.random() < 0.7,
            source=Consent.Source.IMPORT,
            note="Registre papier 2025",
        )
        for p in created
        if p.email and rng.random() < 0.5
    ]
    Consent.objects.bulk_create(consents, batch_size=1000)
    audit_log(
        association=association,
        actor=None,
        action="person.create",
        object_type="person",
        object_repr=f"{len(created)} contacts (démo)",
        data={"source": "import", "count": len(created)},
    )


def load(context: dict) -> None:
    users = {key: _user(key) for key in PERSONAS}

    quartier = core_services.association_create(
        acting_user=users["presidente"],
        name="Les Amis du Quartier",
        slug="amis-du-quartier",
        rna="W751234567",
        objet=(
            "Favoriser les liens entre les habitants du quartier Saint-Ambroise : "
            "fêtes de quartier, jardin partagé, entraide entre voisins."
        ),
        address_line1="12 rue Saint-Maur",
        postcode="75011",
        city="Paris",
        email="contact@amis-du-quartier.example",
    )
    velo = core_services.association_create(
        acting_user=users["velo"],
        name="Collectif Vélo Solidaire",
        slug="velo-solidaire",
        rna="W691000123",
        siren="732829320",
        objet=(
            "Promouvoir le vélo pour toutes et tous : ateliers de réparation solidaires, "
            "vélo-école, collecte et remise en état de vélos pour les personnes en "
            "insertion."
        ),
        address_line1="8 quai Perrache",
        postcode="69002",
        city="Lyon",
        email="bonjour@velo-solidaire.example",
    )
    with scope(association=quartier):
        _seat(quartier, users["tresorier"], "tresorerie")
        _seat(quartier, users["secretaire"], "secretariat")
        _seat(quartier, users["deux_assos"], "conseil")
        for key, tags in (
            ("presidente", ["bureau"]),
            ("tresorier", ["bureau"]),
            ("secretaire", ["bureau"]),
            ("deux_assos", ["conseil d'administration"]),
        ):
            _complete(
                quartier,
                users[key],
                users["presidente"],
                city="Paris",
                postcode="75011",
                tags=tags,
            )
        # Three members without e-mail: they get letters (MISSION.md, "the first hour").
        for first, last, street in (
            ("Germaine", "Lebrun", "3 passage Saint-Ambroise"),
            ("Lucien", "Ferrand", "27 rue Oberkampf"),
            ("Odette", "Marchal", "5 cité Popincourt"),
        ):
            people_services.person_create(
                association=quartier,
                acting_user=users["secretaire"],
                first_name=first,
                last_name=last,
                address_line1=street,
                postcode="75011",
                city="Paris",
                phone="01 43 55 12 34",
                tags=["adhérent·e"],
                notes="Pas d'adresse e-mail : courrier papier.",
            )
        _bulk_persons(
            quartier, 33, seed=11, tags=["adhérent·e", "jardin partagé", "fête de quartier"]
        )
    with scope(association=velo):
        _seat(velo, users["deux_assos"], "tresorerie")
        _complete(
            velo, users["velo"], users["velo"], city="Lyon", postcode="69002", tags=["bureau"]
        )
        _complete(
            velo,
            users["deux_assos"],
            users["velo"],
            city="Lyon",
            postcode="69007",
            tags=["bureau"],
        )
        _bulk_persons(
            velo,
            1996,
            seed=69,
            tags=["atelier réparation", "vélo-école", "bénévole", "donateur", "adhérent·e"],
        )
        # Two obvious duplicates, as every real file has, to show the merge screen.
        for first, last, email, phone in (
            ("Benoît", "Lévêque", "benoit.leveque@laposte.net", ""),
            ("Benoit", "LEVEQUE", "Benoit.Leveque@laposte.net", "06 12 34 56 78"),
        ):
            people_services.person_create(
                association=velo,
                acting_user=users["velo"],
                first_name=first,
                last_name=last,
                email=email,
                phone=phone,
                city="Lyon",
                postcode="69003",
            )
    context.update(users=users, quartier=quartier, velo=velo)


demo.register("people", load, order=10)
