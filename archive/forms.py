"""Forms of the archive's pages: filtering the list, asking for a snapshot, uploading."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Department
from archive.models import GallringDecision, LegalHold, Snapshot
from nykvarn_sm.lib import formfields, formpatterns
from nykvarn_sm.lib.uploads import JPEG, PDF, PNG, UploadRejected, check_upload, image_size
from registry.models import SocialAccount

#: What a snapshot can be made from (the PDF/A conversion takes these).
ARCHIVE_TYPES = frozenset({PNG, JPEG, PDF})
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def check_archive_upload(upload: Any) -> str:
    """Return the sniffed type of a screenshot or print the archive can make a PDF/A of;
    otherwise ValidationError with a message naming the file.

    Judged by the bytes, never the name or the browser's claim, and for an image by the
    pixels its header claims (UPLOAD_MAX_PIXELS): the worker decodes every pixel, so a
    decompression bomb is refused here rather than met there. An image whose header
    cannot be read could not be archived either.
    """
    try:
        kind = check_upload(
            upload, size=upload.size, allowed=ARCHIVE_TYPES, max_bytes=MAX_UPLOAD_BYTES
        )
    except UploadRejected as rejected:
        if rejected.reason == "too_large":
            raise ValidationError(
                _("%(name)s är större än 50 MB."), params={"name": upload.name}
            ) from None
        if rejected.reason == "too_many_pixels" and rejected.dimensions:
            raise ValidationError(
                _(
                    "%(name)s har för många bildpunkter (%(width)d × %(height)d); "
                    "högst %(limit)s miljoner tillåts."
                ),
                params={
                    "name": upload.name,
                    "width": rejected.dimensions[0],
                    "height": rejected.dimensions[1],
                    "limit": f"{(rejected.limit or 0) / 1_000_000:g}",
                },
            ) from None
        kind = None
    if kind is None or (kind != PDF and image_size(upload) is None):
        raise ValidationError(
            _("%(name)s är inte en PNG-, JPEG- eller PDF-fil."), params={"name": upload.name}
        )
    return kind


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input: screenshots of a long page, in order."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".png,.jpg,.jpeg,.pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        cleaned = [single(f, initial) for f in files]
        for upload in cleaned:
            # Stored and served with the type its bytes show, not the browser's claim.
            upload.content_type = check_archive_upload(upload)
        return cleaned


class SnapshotFilterForm(formpatterns.Form):
    mark_optional = False  # a filter: every field may be left empty
    # Bounded ids: a number beyond the column is a form error, not an overflow (issue 8).
    office = formfields.ModelChoiceField(
        label=_("Kontor"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("Alla"),
    )
    department = formfields.ModelChoiceField(
        label=_("Verksamhet"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("Alla"),
    )
    account = formfields.ModelChoiceField(
        label=_("Konto"),
        queryset=SocialAccount.objects.none(),
        required=False,
        empty_label=_("Alla"),
    )
    period = forms.CharField(
        label=_("Period"), required=False, max_length=10, help_text=_("T.ex. 2026-H1")
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Alla")), *Snapshot.Status.choices]
    )

    def __init__(self, *args: Any, scope: frozenset[int] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        departments = Department.objects.all()
        accounts = SocialAccount.objects.select_related("platform")
        if scope is not None:
            departments = departments.filter(pk__in=scope)
            accounts = accounts.filter(department_id__in=scope)
        cast(forms.ModelChoiceField, self.fields["department"]).queryset = departments
        cast(forms.ModelChoiceField, self.fields["office"]).queryset = departments.filter(
            kind__in=[Department.Kind.KONTOR, Department.Kind.AVDELNING]
        )
        cast(forms.ModelChoiceField, self.fields["account"]).queryset = accounts

    def filter(self, queryset: Any) -> Any:
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data["office"]:
            queryset = queryset.filter(
                account__department_id__in=Department.descendant_ids({data["office"].pk})
            )
        if data["department"]:
            queryset = queryset.filter(account__department=data["department"])
        if data["account"]:
            queryset = queryset.filter(account=data["account"])
        if data["period"]:
            queryset = queryset.filter(period=data["period"].strip())
        if data["status"]:
            queryset = queryset.filter(status=data["status"])
        return queryset


class RequestSnapshotForm(formpatterns.Form):
    """ARC-1 "före större förändringar": ask for a snapshot from the account page."""

    context = forms.ChoiceField(
        label=_("Sammanhang"),
        choices=[
            # ARC-1: the period's periodic extract may be taken (or uploaded) before the
            # planner gets to it; asked for twice it names the one there is.
            (Snapshot.Context.PERIODIC, Snapshot.Context.PERIODIC.label),
            (Snapshot.Context.BEFORE_CHANGE, Snapshot.Context.BEFORE_CHANGE.label),
            (Snapshot.Context.BEFORE_CLOSING, Snapshot.Context.BEFORE_CLOSING.label),
            (Snapshot.Context.MANUAL, Snapshot.Context.MANUAL.label),
        ],
        initial=Snapshot.Context.BEFORE_CHANGE,
    )
    note = forms.CharField(
        label=_("Anteckning"),
        required=False,
        max_length=300,
        help_text=_("Vilken förändring det gäller; står på försättsbladet."),
    )
    # The metaclass moves declared fields into base_fields, so this does not replace
    # BaseForm.files at run time; only the type checker sees a clash.
    files = MultipleFileField(  # type: ignore[assignment]
        label=_("Skärmbilder eller PDF-utskrift"),
        required=False,
        help_text=_("Krävs för sidor bakom inloggning (t.ex. Facebook, Instagram)."),
    )

    def __init__(self, *args: Any, account: SocialAccount, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account = account

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.account.platform.login_wall and not data.get("files"):
            self.add_error(
                "files",
                _("%(platform)s kräver inloggning: ladda upp skärmbilder eller en PDF-utskrift.")
                % {"platform": self.account.platform.name},
            )
        return data


class UploadForm(formpatterns.Form):
    files = MultipleFileField(label=_("Skärmbilder eller PDF-utskrift"))  # type: ignore[assignment]


# --- gallring, holds, disposal, search (ARC-4, "Gallra") ------------------------------------


class ThinningForm(formpatterns.Form):
    """Record that a period's content was thinned on the platform (ARC-4)."""

    starts_on = formfields.DateField(label=_("Innehåll från"), latest=timezone.localdate)
    ends_on = formfields.DateField(label=_("Innehåll till och med"), latest=timezone.localdate)
    decision = formfields.ModelChoiceField(
        label=_("Gallringsbeslut"), queryset=GallringDecision.objects.none()
    )
    thinned_on = formfields.DateField(
        label=_("Gallrat den"), latest=timezone.localdate, initial=timezone.localdate
    )
    note = forms.CharField(label=_("Anteckning"), required=False, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        decisions = GallringDecision.objects.in_force()
        platform = decisions.filter(applies_to=GallringDecision.Applies.PLATFORM)
        cast(forms.ModelChoiceField, self.fields["decision"]).queryset = platform

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("Periodens slut ligger före dess början."))
        thinned_on = data.get("thinned_on")
        if ends_on and thinned_on and thinned_on < ends_on:
            self.add_error("thinned_on", _("Innehåll kan bara gallras efter periodens slut."))
        return data


class HoldForm(formpatterns.Form):
    """Put a hold (gallringsstopp) on an account, a period of it or some of its records."""

    scope = forms.ChoiceField(label=_("Omfattning"), choices=LegalHold.Scope.choices)
    starts_on = formfields.DateField(label=_("Från"), required=False)
    ends_on = formfields.DateField(label=_("Till och med"), required=False)
    snapshots = formfields.ModelMultipleChoiceField(
        label=_("Arkivuttag"),
        queryset=Snapshot.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.ChoiceField(label=_("Skäl"), choices=LegalHold.Reason.choices)
    reference = forms.CharField(
        label=_("Diarienummer eller referens"), required=False, max_length=100
    )
    note = forms.CharField(
        label=_("Beskrivning"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Ärendet, begäran eller tvisten som gör att informationen ska finnas kvar."),
    )

    def __init__(self, *args: Any, account: SocialAccount, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stored = Snapshot.objects.filter(account=account, status=Snapshot.Status.STORED)
        field = cast(forms.ModelMultipleChoiceField, self.fields["snapshots"])
        field.queryset = stored.order_by("-captured_at")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        scope = data.get("scope")
        if scope == LegalHold.Scope.PERIOD:
            starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
            if not starts_on and "starts_on" not in self.errors:
                self.add_error("starts_on", _("Ange periodens första dag."))
            if not ends_on and "ends_on" not in self.errors:
                self.add_error("ends_on", _("Ange periodens sista dag."))
            if starts_on and ends_on and ends_on < starts_on:
                self.add_error("ends_on", _("Periodens slut ligger före dess början."))
        if scope == LegalHold.Scope.RECORDS and not data.get("snapshots"):
            self.add_error("snapshots", _("Välj de arkivuttag som stoppet gäller."))
        return data


class ReleaseHoldForm(formpatterns.Form):
    note = forms.CharField(label=_("Varför stoppet hävs"), max_length=500)


class DisposeForm(formpatterns.Form):
    """Dispose of one stored file under a decision for archived files."""

    decision = formfields.ModelChoiceField(
        label=_("Gallringsbeslut"), queryset=GallringDecision.objects.none()
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        decisions = GallringDecision.objects.in_force()
        archive = decisions.filter(applies_to=GallringDecision.Applies.ARCHIVE)
        cast(forms.ModelChoiceField, self.fields["decision"]).queryset = archive


class ArchiveSearchForm(formpatterns.Form):
    mark_optional = False  # a search: the field may be left empty
    q = forms.CharField(label=_("Sök i arkiverad text"), max_length=200, required=False)


class PackageForm(formpatterns.Form):
    """Ask for a delivery package: an office and a period, or one account at closing."""

    mark_optional = False  # one of two groups is filled in; clean() says which is missing

    office = formfields.ModelChoiceField(
        label=_("Kontor"), queryset=Department.objects.none(), required=False
    )
    period = forms.RegexField(
        label=_("Period"),
        regex=r"^\d{4}-H[12]$",
        max_length=7,
        required=False,
        help_text=_("Halvår, till exempel 2026-H1 eller 2026-H2."),
        error_messages={"invalid": _("Ange perioden som ÅÅÅÅ-H1 eller ÅÅÅÅ-H2.")},
    )
    account = formfields.ModelChoiceField(
        label=_("Konto vid avslut"), queryset=SocialAccount.objects.none(), required=False
    )
    confirm_gaps = forms.BooleanField(
        label=_("Bygg paketet ändå, med luckorna beskrivna i paketet"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["office"]).queryset = Department.objects.filter(
            kind__in=[Department.Kind.KONTOR, Department.Kind.AVDELNING]
        )
        # REG-9 "Att öppna och avsluta ett konto": an account's last delivery is made when
        # it closes (closing or closed).
        cast(
            forms.ModelChoiceField, self.fields["account"]
        ).queryset = SocialAccount.objects.filter(
            state__in=[SocialAccount.State.CLOSING, SocialAccount.State.CLOSED]
        ).select_related("platform")

    def clean(self) -> dict[str, Any]:
        from archive.models import period_bounds

        data = super().clean() or {}
        office, period, account = data.get("office"), data.get("period"), data.get("account")
        if account and (office or period):
            raise ValidationError(_("Välj antingen kontor och period eller ett konto vid avslut."))
        if not account:
            if not office and "office" not in self.errors:
                self.add_error("office", _("Välj ett kontor."))
            if not period and "period" not in self.errors:
                self.add_error("period", _("Ange en period."))
        if period:
            try:
                period_bounds(period)
            except ValueError:
                self.add_error(
                    "period",
                    _("Ange ett halvår mellan %(low)s-H1 och %(high)s-H2.")
                    % {
                        "low": formfields.earliest_date().year,
                        "high": formfields.latest_date().year,
                    },
                )
        return data
