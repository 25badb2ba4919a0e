"""The demo: the Collectif Vélo Solidaire's petition for a cycle lane, with signatures."""

import io

import pytest
from django.core.management import call_command
from django_scopes import scope, scopes_disabled

from essaim.core.models import Association
from essaim.mobilisation import services
from essaim.mobilisation.models import Petition, Signature

pytestmark = pytest.mark.django_db


def test_demo_has_a_petition_with_signatures():
    call_command("load_demo", stdout=io.StringIO())
    with scopes_disabled():
        petition = Petition.objects.get(title__icontains="cours Gambetta")
        velo = Association.objects.get(pk=petition.association_id)
    assert "Vélo" in velo.name and petition.status == Petition.Status.OPEN
    with scope(association=velo):
        assert services.petition_count(petition, fresh=True) == 52
        assert Signature.objects.filter(status=Signature.Status.PENDING).count() == 8
        assert services.petition_reconcile(petition=petition) == (52, 52)
