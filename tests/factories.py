"""Factories for tests: users, associations (through the service), contacts."""

import factory
from allauth.account.models import EmailAddress
from django_scopes import scopes_disabled

from essaim.accounts.models import User
from essaim.core import services as core_services
from essaim.core.models import Role, RoleAssignment
from essaim.people.models import Person

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        if create and extracted is not False:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


def make_association(owner: User, name: str = "Les Amis du Test", **fields):
    return core_services.association_create(acting_user=owner, name=name, **fields)


def seat(association, user: User, preset: str) -> RoleAssignment:
    with scopes_disabled():
        role = Role.objects.get(association=association, preset=preset)
        return RoleAssignment.objects.create(association=association, user=user, role=role)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    email = factory.Sequence(lambda n: f"contact{n}@example.net")
    city = "Paris"
    postcode = "75011"
