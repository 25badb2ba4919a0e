"""The demo: a consultation of the members and a decision of the board, under way."""

import io

import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled

from essaim.core.models import Association
from essaim.governance.models import Consultation, Decision

pytestmark = pytest.mark.django_db


def test_demo_has_a_consultation_and_a_decision():
    call_command("load_demo", stdout=io.StringIO())
    with scopes_disabled():
        quartier = Association.objects.get(slug="amis-du-quartier")
        consultation = Consultation.objects.get(association=quartier)
        assert consultation.proposals.count() == 3
        assert consultation.proposals.filter(status="retained").count() == 1
        decision = Decision.objects.get(association=quartier)
        assert decision.status == "open" and decision.body is not None
        assert decision.answers.count() == 3
