"""Forms of the register. They validate and convert; registry.services does the rest."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Department, User
from nykvarn_sm.lib import formfields, formpatterns
from registry.models import CHECKLIST_FIELDS, CHECKLIST_TEXT_FIELDS, Platform, SocialAccount
from registry.services import host_aliases
from registry.urls_normalise import (
    InvalidAccountURL,
    ensure_browser_agrees,
    normalise_url,
    split_host,
)

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class HttpsURLField(forms.URLField):
    """A URL field that completes a bare "facebook.com/x" with https://."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("assume_scheme", "https")
        super().__init__(**kwargs)


class UserChoiceField(formfields.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.full_name} ({obj.email})"


class UsersChoiceField(formfields.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.full_name} ({obj.email})"


class DoneDateField(formfields.DateField):
    """The date of something that has already happened (a review, a decision): not after
    today, and within the product's bounds (nykvarn_sm.lib.formfields)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("latest", timezone.localdate)
        super().__init__(**kwargs)


def end_of_this_week() -> dt.date:
    today = timezone.localdate()
    return today + dt.timedelta(days=6 - today.weekday())


def staff_queryset() -> Any:
    return User.objects.filter(is_active=True).order_by("full_name")


def choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    """Return the form's model choice field `name`, typed so its queryset can be set."""
    return cast("forms.ModelChoiceField[Any]", form.fields[name])


class AccountURLMixin:
    """Validate the address against the platform and refuse a second registration."""

    instance: SocialAccount
    cleaned_data: dict[str, Any]

    if TYPE_CHECKING:  # provided by the form class this is mixed into

        def add_error(self, field: str | None, error: Any) -> None: ...

    def clean_account_url(self) -> None:
        url = self.cleaned_data.get("url")
        platform = self.cleaned_data.get("platform")
        if not url or platform is None:
            return
        try:
            key = normalise_url(url, host_aliases=host_aliases())
            host, _path, _query = split_host(url)
            # The host a browser opens, and no other reading of the text (REG-1).
            ensure_browser_agrees(url)
        except InvalidAccountURL:
            self.add_error("url", _("Ange en fullständig webbadress till kontot."))
            return
        domains = platform.domain_list()
        if domains:
            if not any(host == d or host.endswith("." + d) for d in domains):
                self.add_error(
                    "url",
                    _("Adressen hör inte till %(platform)s (%(domains)s).")
                    % {"platform": platform, "domains": ", ".join(domains)},
                )
                return
            if "/" not in key:
                self.add_error(
                    "url", _("Ange adressen till kontot, inte till plattformens startsida.")
                )
                return
        # "The same account can't be registered twice" (REG-1); the database constraint
        # socialaccount_unique_open_url holds it, this gives the readable message.
        clash = SocialAccount.objects.filter(normalized_url=key).exclude(
            state=SocialAccount.State.CLOSED
        )
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            self.add_error("url", _("Kontot finns redan i registret."))


class RequestForm(AccountURLMixin, formpatterns.ModelForm):
    """A request for a new account with the whole Bilaga 2 checklist (REG-2).

    A draft may be saved half-filled; submitting requires every answer
    (SocialAccount.checklist_missing), so only the annual plan reads "(valfritt)".
    """

    optional_fields = frozenset({"annual_plan"})

    deputies = UsersChoiceField(
        label=_("Ställföreträdande"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Minst en ställföreträdande måste alltid finnas (REG-4)."),
    )

    class Meta:
        model = SocialAccount
        fields = [
            "platform",
            "name",
            "url",
            "department",
            "owner",
            "deputies",
            *CHECKLIST_FIELDS,
            "posts_per_week",
            "annual_plan",
        ]
        widgets = {"terms_reviewed_on": DATE_WIDGET}
        field_classes = {
            "platform": formfields.ModelChoiceField,
            "department": formfields.ModelChoiceField,
            "owner": UserChoiceField,
            "terms_reviewed_by": UserChoiceField,
            # Bilaga 2 "Avtal": the terms have been reviewed, so not a day in the future.
            "terms_reviewed_on": DoneDateField,
            "url": HttpsURLField,
        }
        help_texts = {
            "crisis_use": _(
                "Vid kris används enbart kommunens centrala Facebook (och ibland X) "
                "via kommunikationsavdelningen (REG-10)."
            ),
            "is_organisation_page": _(
                "Privata konton får aldrig användas i tjänsten eller "
                "skapas med kommunens e-postadresser (REG-11)."
            ),
            "url": _("T.ex. https://www.facebook.com/fritidsfabriken"),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        departments = Department.objects.all()
        from accounts import permissions as perms

        scope = perms.department_scope(user)
        if scope is not None and not perms.is_organisation_wide(user):
            departments = departments.filter(pk__in=scope)
        choice_field(self, "department").queryset = departments
        people = staff_queryset()
        choice_field(self, "owner").queryset = people
        choice_field(self, "terms_reviewed_by").queryset = people
        self.fields["terms_reviewed_by"].required = False
        # Deputies are colleagues: people of the departments this user may request for.
        deputies = people
        if scope is not None:
            deputies = people.filter(
                Q(departments__in=scope)
                | Q(pk__in=self.instance.deputies.all() if self.instance.pk else [])
            ).distinct()
        choice_field(self, "deputies").queryset = deputies
        if not self.instance.pk:
            self.initial.setdefault("owner", user.pk)
            # Asked for once only: an operator's only department is the answer already.
            only = list(departments[:2])
            if len(only) == 1:
                self.initial.setdefault("department", only[0].pk)
        else:
            self.initial["deputies"] = list(self.instance.deputies.all())
        for name in CHECKLIST_TEXT_FIELDS:
            self.fields[name].widget.attrs["rows"] = 3

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        self.clean_account_url()
        owner = data.get("owner")
        if owner and owner in (data.get("deputies") or []):
            self.add_error(
                "deputies", _("Den operativt ansvariga kan inte också vara ställföreträdande.")
            )
        return data

    def service_fields(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "deputies"}


class RejectForm(formpatterns.Form):
    reason = forms.CharField(
        label=_("Skäl"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Ange varför begäran skickas tillbaka")},
    )


class ApproveForm(formpatterns.Form):
    comment = forms.CharField(
        label=_("Kommentar"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ActivateForm(formpatterns.Form):
    channel_strategy = forms.CharField(
        label=_("Överenskommen kanalstrategi"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Tas fram av kommunikationsavdelningen tillsammans med verksamheten."),
        error_messages={"required": _("Ange den överenskomna kanalstrategin")},
    )


class StartClosingForm(formpatterns.Form):
    # REG-9: followers are told in good time, so the planned day is today or later.
    planned_on = formfields.DateField(
        label=_("Planerat avslut"),
        widget=DATE_WIDGET,
        earliest=timezone.localdate,
        error_messages={"required": _("Ange när kontot ska avslutas")},
    )
    reason = forms.CharField(
        label=_("Skäl till avslut"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Ange varför kontot avslutas")},
    )


class FollowerNoticeForm(formpatterns.Form):
    """A notice to followers (REG-9): the guideline names what it must say."""

    published_on = formfields.DateField(
        label=_("Publicerad"),
        widget=DATE_WIDGET,
        error_messages={"required": _("Ange när meddelandet publicerades")},
    )
    text = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Ange meddelandets text")},
    )
    has_reason = forms.BooleanField(
        label=_("Meddelandet förklarar varför kontot stängs"),
        error_messages={"required": _("Meddelandet ska förklara varför kontot stängs")},
    )
    has_thanks = forms.BooleanField(
        label=_("Meddelandet tackar följarna för engagemanget"),
        error_messages={"required": _("Meddelandet ska tacka följarna för engagemanget")},
    )
    has_pointer = forms.BooleanField(
        label=_("Meddelandet hänvisar till kommunens centrala konto"),
        error_messages={"required": _("Meddelandet ska hänvisa till kommunens centrala konto")},
    )

    def clean_published_on(self) -> dt.date:
        day = self.cleaned_data["published_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("Registrera meddelanden som redan är publicerade."))
        return day


class PeopleForm(formpatterns.Form):
    owner = UserChoiceField(label=_("Operativt ansvarig"), queryset=User.objects.none())
    deputies = UsersChoiceField(
        label=_("Ställföreträdande"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "owner").queryset = staff_queryset()
        choice_field(self, "deputies").queryset = staff_queryset()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("owner") and data.get("owner") in (data.get("deputies") or []):
            self.add_error(
                "deputies", _("Den operativt ansvariga kan inte också vara ställföreträdande.")
            )
        return data


class SubstituteForm(formpatterns.Form):
    user = UserChoiceField(label=_("Ersättare"), queryset=User.objects.none())
    stands_in_for = UserChoiceField(label=_("Ersätter"), queryset=User.objects.none())
    starts_on = formfields.DateField(label=_("Från"), widget=DATE_WIDGET)
    ends_on = formfields.DateField(label=_("Till och med"), widget=DATE_WIDGET)

    def __init__(
        self, data: Any = None, files: Any = None, *, account: SocialAccount, **kwargs: Any
    ) -> None:
        super().__init__(data, files, prefix="substitute", **kwargs)
        choice_field(self, "user").queryset = staff_queryset()
        choice_field(self, "stands_in_for").queryset = User.objects.filter(
            Q(pk=account.owner_id) | Q(deputy_accounts=account)
        ).distinct()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("Slutdatum kan inte ligga före startdatum."))
        return data


class CredentialHolderForm(formpatterns.Form):
    user = UserChoiceField(
        label=_("Person som har inloggningsuppgifterna"), queryset=User.objects.none()
    )

    def __init__(self, data: Any = None, files: Any = None, **kwargs: Any) -> None:
        super().__init__(data, files, prefix="holder", **kwargs)
        choice_field(self, "user").queryset = staff_queryset()


class CredentialsLocationForm(formpatterns.Form):
    location = forms.CharField(
        label=_("Var inloggningsuppgifterna förvaras"),
        max_length=300,
        help_text=_(
            "T.ex. ”kommunens lösenordshanterare, valv Kultur och fritid”. Skriv "
            "aldrig lösenordet här."
        ),
    )

    def __init__(self, data: Any = None, files: Any = None, **kwargs: Any) -> None:
        super().__init__(data, files, prefix="location", **kwargs)

    def clean_location(self) -> str:
        text = self.cleaned_data["location"]
        # REG-5: the system never stores a password; refuse text that looks like one.
        if re.search(r"(lösen(ord)?|password|pwd)\s*[:=]", text, re.IGNORECASE):
            raise forms.ValidationError(_("Skriv var uppgifterna finns, inte själva lösenordet."))
        return text


class AssignmentForm(formpatterns.Form):
    user = UserChoiceField(label=_("Medarbetare"), queryset=User.objects.none())
    accounts = formfields.ModelMultipleChoiceField(
        label=_("Konton"),
        queryset=SocialAccount.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    # REG-4: the office head's decision, taken on or before the day it is recorded.
    granted_on = DoneDateField(
        label=_("Beslutsdatum"), widget=DATE_WIDGET, initial=timezone.localdate
    )
    note = forms.CharField(
        label=_("Uppdragets omfattning"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self, data: Any = None, files: Any = None, *, accounts: Any, **kwargs: Any
    ) -> None:
        super().__init__(data, files, prefix="assignment", **kwargs)
        choice_field(self, "user").queryset = staff_queryset()
        choice_field(self, "accounts").queryset = accounts


class TargetForm(formpatterns.ModelForm):
    class Meta:
        model = SocialAccount
        fields = ["posts_per_week", "annual_plan"]


# Posts in one week, in the single-week form and in a CSV import alike.
MIN_POSTS, MAX_POSTS = 0, 1000


class ActivityForm(formpatterns.Form):
    # Any day of a week that has begun (services.record_activity refuses later weeks).
    week = formfields.DateField(
        label=_("Vecka (valfri dag i veckan)"), widget=DATE_WIDGET, latest=end_of_this_week
    )
    posts = forms.IntegerField(label=_("Antal inlägg"), min_value=MIN_POSTS, max_value=MAX_POSTS)

    def __init__(self, data: Any = None, files: Any = None, **kwargs: Any) -> None:
        super().__init__(data, files, prefix="activity", **kwargs)
        today = timezone.localdate()
        self.fields["week"].initial = today - dt.timedelta(days=today.weekday() + 7)


WEEK_RE = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


def parse_week(text: str) -> dt.date:
    """Return the Monday of an ISO week (2026-W05) or of the week of a date (2026-01-28)."""
    text = text.strip()
    match = WEEK_RE.match(text)
    if match:
        return dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
    day = dt.date.fromisoformat(text)
    return day - dt.timedelta(days=day.weekday())


class ActivityImportForm(formpatterns.Form):
    """A CSV of weeks and posts: `vecka;inlägg` (or comma), weeks as 2026-W05 or dates."""

    file = forms.FileField(
        label=_("CSV-fil"),
        help_text=_(
            "Två kolumner: vecka (t.ex. 2026-W05 eller ett datum) och antal inlägg. "
            "Rubrikrad tillåten. Semikolon eller komma."
        ),
    )
    MAX_BYTES = 200_000

    def clean_file(self) -> list[tuple[dt.date, int]]:
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("Filen är för stor."))
        raw = upload.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")  # Excel's Swedish default
        delimiter = ";" if text.count(";") >= text.count(",") else ","
        try:
            return self._parse(text, delimiter)
        except csv.Error as exc:  # e.g. a field longer than the csv module's limit
            raise forms.ValidationError(
                _("Filen går inte att läsa som CSV. Kontrollera att den har två kolumner.")
            ) from exc

    def _parse(self, text: str, delimiter: str) -> list[tuple[dt.date, int]]:
        rows: dict[dt.date, int] = {}
        errors = []
        for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), 1):
            cells = [c.strip() for c in row]
            if not any(cells):
                continue
            if len(cells) < 2:
                errors.append(_("Rad %(n)s: två kolumner behövs.") % {"n": number})
                continue
            try:
                week = parse_week(cells[0])
                posts = int(cells[1])
            except ValueError:
                if number == 1:
                    continue  # a header row
                errors.append(
                    _("Rad %(n)s: ”%(row)s” förstås inte.") % {"n": number, "row": ";".join(cells)}
                )
                continue
            if posts < MIN_POSTS:
                errors.append(_("Rad %(n)s: antalet kan inte vara negativt.") % {"n": number})
                continue
            if posts > MAX_POSTS:
                errors.append(
                    _("Rad %(n)s: antalet får vara högst %(max)s.")
                    % {"n": number, "max": MAX_POSTS}
                )
                continue
            low, high = formfields.earliest_date(), end_of_this_week()
            if not low <= week <= high:
                errors.append(
                    _("Rad %(n)s: veckan ska ligga mellan %(low)s och %(high)s.")
                    % {"n": number, "low": low.isoformat(), "high": high.isoformat()}
                )
                continue
            rows[week] = posts
        if errors:
            raise forms.ValidationError(errors[:10])
        if not rows:
            raise forms.ValidationError(_("Filen innehåller inga veckor."))
        return sorted(rows.items())


class RegisterFilterForm(formpatterns.Form):
    mark_optional = False  # a filter: every field may be left empty
    q = forms.CharField(label=_("Sök"), required=False)
    state = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Alla"))] + list(SocialAccount.State.choices),
    )
    department = formfields.ModelChoiceField(
        label=_("Verksamhet"),
        required=False,
        queryset=Department.objects.all(),
        empty_label=_("Alla"),
    )
    platform = formfields.ModelChoiceField(
        label=_("Plattform"),
        required=False,
        queryset=Platform.objects.none(),
        empty_label=_("Alla"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "platform").queryset = Platform.objects.all()

    def apply(self, qs: Any) -> Any:
        if not self.is_valid():
            return qs
        data = self.cleaned_data
        if data["q"]:
            qs = qs.filter(Q(name__icontains=data["q"]) | Q(url__icontains=data["q"]))
        if data["state"]:
            qs = qs.filter(state=data["state"])
        if data["department"]:
            qs = qs.filter(department=data["department"])
        if data["platform"]:
            qs = qs.filter(platform=data["platform"])
        return qs


class VerifyForm(formpatterns.Form):
    url = forms.CharField(label=_("Kontots adress"), max_length=1000)

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"]
        try:
            normalise_url(url, host_aliases=host_aliases())
        except InvalidAccountURL as exc:
            raise forms.ValidationError(
                _("Det här är inte en giltig adress. Klistra in hela adressen till kontot.")
            ) from exc
        return url
