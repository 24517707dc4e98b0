"""factory_boy factories for the models every app's tests build on."""

from __future__ import annotations

import factory
from django.utils import timezone

from accounts.models import Department, Role, User
from registry.models import Platform, SocialAccount

TEST_PASSWORD = "test-lösenord-123"  # noqa: S105


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"Verksamhet {n}")
    kind = Department.Kind.VERKSAMHET


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@nykvarn.se")
    full_name = factory.Faker("name", locale="sv_SE")
    title = "Handläggare"
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if create and extracted:
            self.roles.set(Role.objects.filter(code__in=extracted))

    @factory.post_generation
    def departments(self, create: bool, extracted: list[Department] | None, **kw: object) -> None:
        if create and extracted:
            self.departments.set(extracted)

    @classmethod
    def _after_postgeneration(cls, instance: User, create: bool, results: object = None) -> None:
        if create:
            instance.save()


def platform(slug: str = "facebook") -> Platform:
    """Return one of the platforms the data migration created."""
    return Platform.objects.get(slug=slug)


class SocialAccountFactory(factory.django.DjangoModelFactory):
    """An account in the state asked for; the state is set directly only in tests."""

    class Meta:
        model = SocialAccount
        skip_postgeneration_save = True

    platform = factory.LazyFunction(platform)
    name = factory.Sequence(lambda n: f"Konto {n}")
    url = factory.Sequence(lambda n: f"https://www.facebook.com/nykvarn-konto-{n}")
    normalized_url = factory.LazyAttribute(
        lambda o: o.url.split("://", 1)[1].removeprefix("www.").lower().rstrip("/")
    )
    department = factory.SubFactory(DepartmentFactory)
    owner = factory.SubFactory(UserFactory)
    created_by = factory.SelfAttribute("owner")
    state = SocialAccount.State.ACTIVE
    activated_at = factory.LazyFunction(timezone.now)
    posts_per_week = 2

    @factory.post_generation
    def deputies(self, create: bool, extracted: list[User] | None, **kwargs: object) -> None:
        if create and extracted:
            self.deputies.set(extracted)
