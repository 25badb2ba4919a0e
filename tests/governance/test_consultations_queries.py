"""The lists that grow (proposals, decisions, the member's participation page) read the
database a bounded number of times, whatever their length."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from essaim.governance import consultations, decisions
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


@pytest.fixture
def busy(association, presidente, make_members):
    user = UserFactory()
    (me,) = make_members(1, user=user, email=user.email)
    others = make_members(6)
    with scope(association=association):
        consultation = consultations.consultation_create(
            association=association, acting_user=presidente, title="Le jardin"
        )
        for index in range(25):
            proposal = consultations.proposal_create(
                association=association,
                acting_user=None,
                consultation=consultation,
                author=others[index % 6],
                title=f"Idée {index}",
                text="Texte",
            )
            if index % 3 == 0:
                consultations.proposal_support(
                    association=association, acting_user=None, proposal=proposal, person=me
                )
        for index in range(25):
            decisions.decision_create(
                association=association,
                acting_user=presidente,
                title=f"Décision {index}",
                text="Texte",
                deadline=timezone.now() + dt.timedelta(days=2),
            )
    return user, consultation


def test_member_pages_have_a_bounded_number_of_queries(
    client_for, busy, django_assert_max_num_queries
):
    user, consultation = busy
    client = client_for(user)
    url = reverse("governance_public:consultation", args=[consultation.uuid])
    with django_assert_max_num_queries(25):
        page = client.get(url).content.decode()
    assert "Idée 24" in page and "Idée 4" not in page  # 20 a page
    assert "Idée 4" in client.get(url + "?sort=new&page=2").content.decode()
    with django_assert_max_num_queries(30):
        page = client.get(reverse("governance_public:participation")).content.decode()
    assert "Décision 24" in page


def test_team_lists_have_a_bounded_number_of_queries(
    client_for, presidente, association, busy, django_assert_max_num_queries
):
    _user, consultation = busy
    client = client_for(presidente)
    slug = association.slug
    with django_assert_max_num_queries(25):
        client.get(
            reverse(
                "governance:consultation",
                kwargs={"association_slug": slug, "consultation_uuid": consultation.uuid},
            )
        )
    with django_assert_max_num_queries(25):
        page = client.get(reverse("governance:decisions", kwargs={"association_slug": slug}))
    assert page.status_code == 200
