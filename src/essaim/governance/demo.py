"""The demo's governance: Les Amis du Quartier's statutes rules (quorum of a quarter, two
proxies per member at most, fifteen days' notice), its board and bureau, and its next
annual general meeting, being prepared, with an agenda."""

import datetime as dt

from django.utils import timezone
from django_scopes import scope

from essaim.core import demo
from essaim.people.models import Person

from . import selectors, services
from .models import Body, BodySeat


def _quartier(context: dict) -> None:
    quartier, presidente = context["quartier"], context["users"]["presidente"]
    with scope(association=quartier):
        services.statutes_rules_update(
            association=quartier,
            acting_user=presidente,
            quorum_ordinary="1/4",
            quorum_extraordinary="1/2",
            second_convocation_without_quorum=True,
            majority_ordinary="simple",
            majority_extraordinary="two_thirds",
            proxies_allowed=True,
            proxy_cap=2,
            remote_voting_allowed=False,
            notice_days=15,
            weighted_votes=False,
        )
        members = list(selectors.voting_members(quartier).order_by("sort_name", "id")[:9])
        board = services.body_create(
            association=quartier,
            acting_user=presidente,
            kind=Body.Kind.BOARD,
            name="Conseil d'administration",
        )
        bureau = services.body_create(
            association=quartier, acting_user=presidente, kind=Body.Kind.BUREAU, name="Bureau"
        )
        own = Person.objects.filter(association=quartier, user=presidente).first()
        roles = [BodySeat.Role.TREASURER, BodySeat.Role.SECRETARY]
        bureau_people = ([own] if own else []) + members[:2]
        for index, person in enumerate(bureau_people):
            role = BodySeat.Role.PRESIDENT if index == 0 else roles[(index - 1) % 2]
            services.body_seat_add(
                association=quartier, acting_user=presidente, body=bureau, person=person, role=role
            )
        for person in bureau_people + members[2:7]:
            services.body_seat_add(
                association=quartier, acting_user=presidente, body=board, person=person
            )
        day = timezone.localdate() + dt.timedelta(days=24)
        assembly = services.assembly_create(
            association=quartier,
            acting_user=presidente,
            kind="ordinary",
            title=f"Assemblée générale ordinaire {day.year}",
            starts_at=timezone.make_aware(dt.datetime.combine(day, dt.time(18, 30))),
            mode="on_site",
            place="Maison de quartier, 12 rue Saint-Maur, 75011 Paris",
            convocation_number=1,
        )
        for title, description, resolution in (
            (
                "Rapport moral de la présidente",
                "Une année de fêtes, de jardin et d'entraide.",
                False,
            ),
            ("Rapport financier et approbation des comptes", "Comptes de l'exercice écoulé.", True),
            (
                "Montant des cotisations de l'an prochain",
                "Proposition : 20 € et 10 € réduit.",
                True,
            ),
            ("Renouvellement du conseil d'administration", "Trois sièges à pourvoir.", True),
            ("Questions diverses", "", False),
        ):
            services.agenda_item_add(
                association=quartier,
                acting_user=presidente,
                assembly=assembly,
                title=title,
                description=description,
                is_resolution=resolution,
            )

        _participation(quartier, presidente, members, board)


def _participation(quartier, presidente, members, board) -> None:
    """A consultation of the members with proposals, comments and supports, and a decision
    of the board by consent, open for five more days."""
    from . import consultations, decisions

    if len(members) < 6:
        return
    consultation = consultations.consultation_create(
        association=quartier,
        acting_user=presidente,
        title="Que faire du jardin partagé l'an prochain ?",
        theme="Jardin",
        description="Écrivez vos idées, soutenez celles des autres : "
        "les plus soutenues seront présentées à l'assemblée générale.",
        support_threshold=3,
    )
    ideas = (
        ("Un composteur collectif", "Trois bacs près du portail, ouverts à tout le quartier."),
        ("Une ruche pédagogique", "Avec l'apiculteur de la rue Oberkampf, visites le samedi."),
        ("Des bancs à l'ombre", "Pour les voisins âgés qui viennent lire l'après-midi."),
    )
    proposals = [
        consultations.proposal_create(
            association=quartier,
            acting_user=None,
            consultation=consultation,
            author=members[index],
            title=title,
            text=text,
        )
        for index, (title, text) in enumerate(ideas)
    ]
    for person in members[3:6]:
        consultations.proposal_support(
            association=quartier, acting_user=None, proposal=proposals[0], person=person
        )
    consultations.proposal_support(
        association=quartier, acting_user=None, proposal=proposals[1], person=members[4]
    )
    consultations.comment_add(
        association=quartier,
        acting_user=None,
        proposal=proposals[1],
        author=members[5],
        text="Attention aux enfants allergiques : prévoir un panneau.",
    )
    consultations.amendment_propose(
        association=quartier,
        acting_user=None,
        proposal=proposals[2],
        author=members[4],
        text="Deux bancs à l'ombre du tilleul, et une table pour les goûters.",
        reason="Les familles aussi en profiteraient.",
    )
    seated = list(board.seats.select_related("person").order_by("id"))
    decision = decisions.decision_create(
        association=quartier,
        acting_user=presidente,
        title="Acheter un barnum pour les fêtes de quartier",
        text="Un barnum de 6 × 3 m (450 €), pour ne plus dépendre de la mairie.",
        deadline=timezone.now() + dt.timedelta(days=5),
        body=board,
        proposer=seated[0].person if seated else None,
    )
    for seat, position in zip(seated[:3], ("agree", "agree", "abstain"), strict=False):
        decisions.decision_answer(
            association=quartier,
            acting_user=None,
            decision=decision,
            person=seat.person,
            position=position,
        )


demo.register("governance", _quartier, order=40)
