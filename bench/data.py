"""Data generators: realistic French associations and contacts at scale, built once, reused.

Each dataset is an association identified by its slug; its `objet` carries a marker (dataset
version, size, seed). A run that finds the association with the right marker and the right
number of contacts reuses it; otherwise the generated contacts are removed and built again.
Everything is seeded: the same dataset holds the same people on every machine.

The contacts come from `essaim.lib.frenchdata.FrenchPeople` (accented names, real communes
and postcodes, valid phone numbers, unique e-mails), are bulk-created in batches with their
derived search columns (`Person.refresh_derived()`, as `load_demo` does) and get tags through
the many-to-many table and newsletter consents.
"""

import random
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.accounts.models import User
from essaim.core import services as core_services
from essaim.core.models import Association, RoleAssignment
from essaim.lib.frenchdata import FrenchPeople
from essaim.people.generation import person_from_fake
from essaim.people.models import Consent, Person, Tag

from .harness import Stopwatch, out

# Bump when the generator changes: every dataset is then rebuilt on the next run.
DATASET_VERSION = 1
BATCH_SIZE = 2000
BENCH_USER_EMAIL = "presidente@bench.essaim.example.org"
TAGS = ("adhérent·e", "bénévole", "donateur", "jardin partagé", "fête de quartier", "bureau")


@dataclass(frozen=True)
class Spec:
    slug: str
    name: str
    count: int  # generated contacts (the team member's own record comes on top)
    seed: int

    @property
    def marker(self) -> str:
        return (
            f"Jeu de données de mesure v{DATASET_VERSION} : {self.count} contacts, "
            f"graine {self.seed}. Généré par bench/data.py, ne pas modifier."
        )


# The association the targets are about, one in the same database whose rows every query
# must filter out, and a small one with the same first 100 people (same seed) to show that
# the number of queries does not depend on the number of rows.
LARGE = Spec("bench-100k", "Bench — Fédération des 100 000", 100_000, seed=1901)
NEIGHBOUR = Spec("bench-voisins", "Bench — Association voisine", 3_000, seed=2024)
SMALL = Spec("bench-100", "Bench — Petite association", 100, seed=1901)


def bench_user() -> User:
    """The présidente who holds the "presidence" role in every bench association."""
    user = User.objects.filter(email=BENCH_USER_EMAIL).first()
    if user is None:
        user = User.objects.create_user(
            email=BENCH_USER_EMAIL, password=None, first_name="Hélène", last_name="Bench"
        )
    return user


def _generated(association: Association):
    return Person.objects.filter(association=association, source=Person.Source.IMPORT)


def _is_complete(association: Association, spec: Spec) -> bool:
    with scope(association=association):
        return association.objet == spec.marker and _generated(association).count() == spec.count


def _clear(association: Association) -> None:
    with scope(association=association):
        through = Person.tags.through
        through.objects.filter(person__association=association).delete()
        Consent.objects.filter(association=association).delete()
        _generated(association).delete()


def _fill(association: Association, spec: Spec) -> None:
    rng = random.Random(spec.seed)
    tags = [Tag.objects.get_or_create(association=association, name=name)[0] for name in TAGS]
    through = Person.tags.through
    generator = FrenchPeople(seed=spec.seed, email_share=0.92)
    batch: list[Person] = []

    def flush() -> None:
        Person.objects.bulk_create(batch)
        links, consents = [], []
        for person in batch:
            if person.pk is None:  # databases that cannot return ids from bulk inserts
                raise RuntimeError("bulk_create did not return primary keys")
            if rng.random() < 0.45:
                chosen = rng.sample(tags, 2 if rng.random() < 0.25 else 1)
                links.extend(through(person_id=person.pk, tag_id=tag.pk) for tag in chosen)
            if person.email and rng.random() < 0.5:
                consents.append(
                    Consent(
                        association=association,
                        person_id=person.pk,
                        topic=Consent.Topic.NEWSLETTER,
                        granted=rng.random() < 0.7,
                        source=Consent.Source.IMPORT,
                        note="Registre papier 2025",
                    )
                )
        through.objects.bulk_create(links)
        Consent.objects.bulk_create(consents)
        batch.clear()

    for fake in generator.many(spec.count):
        person = person_from_fake(association, fake)
        batch.append(person)
        if len(batch) >= BATCH_SIZE:
            flush()
    if batch:
        flush()


def ensure(spec: Spec, user: User) -> tuple[Association, bool]:
    """The association of `spec` with its contacts, and whether they were generated now."""
    with scopes_disabled():
        association = Association.objects.filter(slug=spec.slug).first()
    if association is not None and _is_complete(association, spec):
        out(f"Reusing {spec.slug}: {spec.count:,} generated contacts already there.")
        return association, False
    with Stopwatch() as watch, transaction.atomic():
        if association is None:
            association = core_services.association_create(
                acting_user=user,
                name=spec.name,
                slug=spec.slug,
                objet=spec.marker,
                postcode="75011",
                city="Paris",
            )
        else:
            out(f"{spec.slug} is incomplete or from another generator version: rebuilding it.")
            _clear(association)
            association.objet = spec.marker
            association.save(update_fields=["objet", "updated_at"])
        with scope(association=association):
            _fill(association, spec)
    out(f"Generated {spec.count:,} contacts in {spec.slug} in {watch.seconds:.1f} s.")
    return association, True


def analyze() -> None:
    """Fresh planner statistics and visibility map, as autovacuum gives a steady system."""
    tables = [Person._meta.db_table, Person.tags.through._meta.db_table, Consent._meta.db_table]
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "postgresql":
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(table)}")
            else:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def refresh_seat(association: Association, user: User) -> None:
    """Restart the MFA grace period of the bench user's sensitive seat.

    A reused database keeps the seat's date: past ESSAIM_MFA_GRACE_DAYS every page would
    redirect to the MFA setup instead of rendering.
    """
    with scopes_disabled():
        RoleAssignment.objects.filter(association=association, user=user).update(
            sensitive_since=timezone.now()
        )


@dataclass
class Datasets:
    user: User
    large: Association
    neighbour: Association
    small: Association
    seconds: float  # time spent generating in this run (0 when everything was reused)


def persons_datasets() -> Datasets:
    """The three associations of the people benchmarks, generated on first use."""
    with Stopwatch() as watch:
        user = bench_user()
        built = [ensure(spec, user) for spec in (LARGE, NEIGHBOUR, SMALL)]
        generated = any(was_generated for _association, was_generated in built)
    # Every run, not only after generating: other benchmarks (imports, merges) write to the
    # same tables, and a page measured with dead rows and a stale visibility map would measure
    # autovacuum's timing rather than Essaim. Under a second when there is nothing to do.
    analyze()
    associations = [association for association, _generated in built]
    for association in associations:
        refresh_seat(association, user)
    return Datasets(user, *associations, seconds=watch.seconds if generated else 0.0)


# --- Volunteering: missions of many associations, volunteer profiles ------------------------

MISSIONS_VERSION = 2
MISSION_ASSOCIATIONS = 500


@dataclass
class MissionsDataset:
    associations: int
    missions: int
    volunteers: int
    volunteer_users: list  # a few volunteers with a profile, to sign in as
    seconds: float


def missions_dataset(missions: int = 100_000, volunteers: int = 1_000_000, seed: int = 1901):
    """Published missions spread over 500 associations and the communes of France (10 %
    remote), and volunteer profiles (one account each); built once, reused when the counts
    match. Skills, causes and half-days are drawn from the reference lists."""
    from django.contrib.auth.hashers import make_password

    from essaim.volunteering import places, services
    from essaim.volunteering.models import Mission, Responsiveness, VolunteerProfile
    from essaim.volunteering.reference import CAUSES, DEFAULT_SKILLS

    prefix = f"bench-missions-v{MISSIONS_VERSION}-"
    skills = [code for code, _label in DEFAULT_SKILLS]
    causes = [code for code, _label in CAUSES]
    communes = [c for group in places._by_postcode().values() for c in group]
    words = (
        "aide devoirs jardin partagé épicerie solidaire maraude accueil réfugiés atelier vélo "
        "collecte alimentaire théâtre enfants personnes âgées visite lecture numérique "
        "accompagnement administratif sport handicap nettoyage rivière festival buvette "
        "bricolage ressourcerie cuisine repas partagé chorale musique soutien scolaire"
    ).split()
    rng = random.Random(seed)
    generated = False
    with Stopwatch() as watch, scopes_disabled():
        associations = list(Association.objects.filter(slug__startswith=prefix).order_by("pk"))
        existing = Mission.objects.filter(association__slug__startswith=prefix).count()
        if len(associations) != MISSION_ASSOCIATIONS or existing != missions:
            generated = True
            out(f"Generating {missions:,} missions over {MISSION_ASSOCIATIONS} associations…")
            Mission.objects.filter(association__slug__startswith=prefix).delete()
            Association.objects.filter(slug__startswith=prefix).delete()
            Association.objects.bulk_create(
                Association(name=f"Bench — Association {i}", slug=f"{prefix}{i}")
                for i in range(MISSION_ASSOCIATIONS)
            )
            associations = list(Association.objects.filter(slug__startswith=prefix).order_by("pk"))
            Responsiveness.objects.bulk_create(
                Responsiveness(
                    association=a,
                    applications=rng.randint(0, 200),
                    answered=0,
                    median_hours=rng.choice((None, 4.0, 30.0, 90.0, 400.0)),
                )
                for a in associations
            )
            Responsiveness.objects.filter(association__slug__startswith=prefix).update(
                answered=models_f("applications")
            )
            now = timezone.now()
            batch = []
            for index in range(missions):
                association = associations[index % MISSION_ASSOCIATIONS]
                remote = rng.random() < 0.10
                commune = rng.choice(communes)
                mission = Mission(
                    association=association,
                    title=" ".join(rng.sample(words, 3)).capitalize(),
                    description=" ".join(rng.choices(words, k=30)),
                    cause=rng.choice(causes),
                    skills=rng.sample(skills, rng.randint(0, 4)),
                    remote=remote,
                    postcode="" if remote else commune.postcode,
                    insee="" if remote else commune.insee,
                    commune="" if remote else commune.name,
                    lat=None if remote else commune.lat,
                    lon=None if remote else commune.lon,
                    kind=rng.choice(("one_off", "recurring")),
                    availability=rng.getrandbits(21) & rng.getrandbits(21),
                    places=rng.randint(1, 20),
                    status="published",
                    published_at=now - dt_timedelta(minutes=index),
                )
                mission.search_text = services.search_text(mission, association)
                mission.skill_list = " ".join(mission.skills)
                batch.append(mission)
                if len(batch) >= BATCH_SIZE:
                    Mission.objects.bulk_create(batch)
                    batch.clear()
            Mission.objects.bulk_create(batch)
        prefix_users = "benevole-bench-"
        have = VolunteerProfile.objects.filter(user__email__startswith=prefix_users).count()
        if have != volunteers:
            generated = True
            out(f"Generating {volunteers:,} volunteer profiles…")
            User.objects.filter(email__startswith=prefix_users).delete()
            password = make_password(None)
            for start in range(0, volunteers, 10_000):
                users = User.objects.bulk_create(
                    User(
                        email=f"{prefix_users}{i}@example.org",
                        password=password,
                        first_name="Bénévole",
                        last_name=str(i),
                    )
                    for i in range(start, min(volunteers, start + 10_000))
                )
                profiles = []
                for user in users:
                    commune = rng.choice(communes)
                    profiles.append(
                        VolunteerProfile(
                            user=user,
                            skills=rng.sample(skills, rng.randint(1, 6)),
                            causes=rng.sample(causes, rng.randint(0, 3)),
                            availability=rng.getrandbits(21),
                            postcode=commune.postcode,
                            insee=commune.insee,
                            commune=commune.name,
                            lat=commune.lat,
                            lon=commune.lon,
                            radius_km=rng.choice((5, 10, 20, 30)),
                            remote_ok=rng.random() < 0.3,
                        )
                    )
                VolunteerProfile.objects.bulk_create(profiles)
        with connection.cursor() as cursor:
            for model in (Mission, VolunteerProfile, User):
                table = connection.ops.quote_name(model._meta.db_table)
                cursor.execute(
                    f"VACUUM ANALYZE {table}"
                    if connection.vendor == "postgresql"
                    else f"ANALYZE {table}"
                )
        sample = list(
            User.objects.filter(email__startswith=prefix_users).order_by("pk")[
                : volunteers : max(1, volunteers // 50)
            ]
        )
    return MissionsDataset(
        associations=MISSION_ASSOCIATIONS,
        missions=missions,
        volunteers=volunteers,
        volunteer_users=sample,
        seconds=watch.seconds if generated else 0.0,
    )


def models_f(name):
    from django.db.models import F

    return F(name)


def dt_timedelta(**kwargs):
    import datetime

    return datetime.timedelta(**kwargs)
