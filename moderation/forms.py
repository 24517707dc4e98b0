"""Forms for the removal log and incoming items: they validate and convert, nothing more."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from moderation.models import IncomingItem, RegistrationDecision, RemovalReason, RemovedPost
from nykvarn_sm.lib import formfields, formpatterns
from nykvarn_sm.lib.uploads import IMAGE_AND_PDF, UploadRejected, check_upload
from registry.models import SocialAccount

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
DEFAULT_EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
# How far ahead of the server's clock a person's computer may be when typing "now".
CLOCK_SKEW = dt.timedelta(minutes=5)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=DATETIME_FORMAT, **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _latest_past_day() -> dt.date:
    return timezone.localtime(timezone.now() + CLOCK_SKEW).date()


class PastDateTimeField(formfields.DateTimeField):
    """When something already happened (published, removed, received): within the
    product's date bounds and not later than now, beyond a little clock skew."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", DateTimeLocalInput())
        super().__init__(latest=_latest_past_day, **kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None and value > timezone.now() + CLOCK_SKEW:
            raise forms.ValidationError(_("Kan inte ligga i framtiden."), code="future")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several screenshots or images at once (Django's documented pattern).

    Only PNG, JPEG, GIF, WebP and PDF, decided by the bytes (nykvarn_sm.lib.uploads, the
    same check as the archive's uploads), each at most MODERATION_EVIDENCE_MAX_BYTES. The
    upload's content_type is replaced by the sniffed type, so what the browser declared
    is never stored or served back.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": ".png,.jpg,.jpeg,.gif,.webp,.pdf"}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        files = data if isinstance(data, list | tuple) else [data]
        cleaned = [single(d, initial) for d in files if d]
        max_bytes = evidence_max_bytes()
        for upload in cleaned:
            try:
                kind = check_upload(
                    upload, size=upload.size, allowed=IMAGE_AND_PDF, max_bytes=max_bytes
                )
            except UploadRejected as rejected:
                if rejected.reason == "too_large":
                    raise forms.ValidationError(
                        _("%(name)s är större än %(limit)s MB."),
                        params={"name": upload.name, "limit": _megabytes(max_bytes)},
                    ) from None
                if rejected.reason == "too_many_pixels" and rejected.dimensions:
                    # A decompression bomb: a few bytes claiming billions of pixels.
                    raise forms.ValidationError(
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
                raise forms.ValidationError(
                    _("%(name)s är inte en PNG-, JPEG-, GIF-, WebP- eller PDF-fil."),
                    params={"name": upload.name},
                ) from None
            upload.content_type = kind
        return cleaned


def evidence_max_bytes() -> int:
    """MODERATION_EVIDENCE_MAX_BYTES, 20 MB unless the settings say otherwise."""
    return int(getattr(settings, "MODERATION_EVIDENCE_MAX_BYTES", DEFAULT_EVIDENCE_MAX_BYTES))


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def registration_decision_field(*, missing: StrOrPromise) -> forms.ChoiceField:
    """The MOD-4 decision ("Diarieföring"), with no answer chosen in advance.

    The guideline decides by the post's character, so the person must choose: a
    pre-selected answer sent simple questions answered at once to "Väntar på diarieföring".
    `missing` names what was left out.
    """
    return forms.ChoiceField(
        label=_("Diarieföring"),
        choices=[("", _("– Välj –")), *RegistrationDecision.choices],
        error_messages={"required": missing},
        help_text=_("Inläggets karaktär avgör (Diarieföring)."),
    )


class AccountChoiceField(formfields.ModelChoiceField):
    def label_from_instance(self, obj: SocialAccount) -> str:
        return f"{obj.platform.name} {obj.name} ({obj.department.name})"


class RemovalForm(formpatterns.Form):
    """MOD-1, "Gallra otillåtna inlägg/kommentarer": sender, time, context, content, who
    removed it and why — saved before the post is unpublished."""

    account = AccountChoiceField(label=_("Konto"), queryset=SocialAccount.objects.none())
    # No pre-selected type: the log keeps what the person chose, not a default (MOD-1).
    kind = forms.ChoiceField(
        label=_("Typ"),
        choices=[("", _("– Välj –")), *RemovedPost.Kind.choices],
        error_messages={"required": _("Ange vilken typ av inlägg det var.")},
    )
    post_url = forms.URLField(
        label=_("Adress till inlägget"), required=False, max_length=500, assume_scheme="https"
    )
    platform_post_id = forms.CharField(label=_("Plattformens id"), required=False, max_length=200)
    sender_name = forms.CharField(label=_("Avsändare"), required=False, max_length=200)
    sender_profile_url = forms.URLField(
        label=_("Avsändarens profil"), required=False, max_length=500, assume_scheme="https"
    )
    posted_at = PastDateTimeField(
        label=_("Publicerat"), error_messages={"required": _("Ange när inlägget publicerades")}
    )
    context = forms.CharField(
        label=_("Sammanhang"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Tråden eller inlägget det hörde till."),
    )
    content = forms.CharField(
        label=_("Innehåll"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Kopiera texten ordagrant. Sparas inte för skäl som inte ska bevaras."),
    )
    reason = formfields.ModelChoiceField(
        label=_("Skäl"),
        queryset=RemovalReason.objects.filter(active=True),
        empty_label=_("Välj skäl"),
        error_messages={"required": _("Välj varför inlägget togs bort")},
    )
    motivation = forms.CharField(
        label=_("Motivering"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Ange varför inlägget bryter mot reglerna")},
    )
    removed_at = PastDateTimeField(
        label=_("Borttaget"), error_messages={"required": _("Ange när inlägget togs bort")}
    )
    sender_informed = forms.BooleanField(label=_("Avsändaren har informerats"), required=False)
    confidential = forms.BooleanField(
        label=_("Innehåller sekretessbelagda uppgifter"),
        required=False,
        help_text=_("Innehållet visas då bara för dem som behöver det och ska diarieföras."),
    )
    registration_decision = registration_decision_field(
        missing=_("Ange om inlägget ska diarieföras.")
    )
    evidence = MultipleFileField(
        label=_("Skärmdumpar och bilder"),
        required=False,
        help_text=_("Sparas med kontrollsumma och kan inte bytas ut."),
    )

    def __init__(
        self,
        *args: Any,
        accounts: Any = None,
        incoming: IncomingItem | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if accounts is not None:
            field = cast(AccountChoiceField, self.fields["account"])
            field.queryset = accounts.select_related("platform", "department")
        self.fields["removed_at"].initial = timezone.localtime().strftime(DATETIME_FORMAT)
        if incoming is not None and incoming.confidential:
            # MOD-3: what came in as confidential is removed as confidential; the box is
            # locked (a disabled field ignores what is posted).
            confidential = self.fields["confidential"]
            confidential.initial, confidential.disabled = True, True
            confidential.help_text = _("Det inkomna ärendet är sekretessbelagt.")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        reason = data.get("reason")
        if (
            reason is not None
            and reason.preserve_content
            and not data.get("content")
            and not data.get("evidence")
        ):
            self.add_error("content", _("Spara innehållet eller ladda upp en skärmdump."))
        if data.get("confidential") and data.get("registration_decision") in (
            RegistrationDecision.PASSING,
            RegistrationDecision.OUTSIDE,
        ):
            # MOD-4, "Diarieföring": "Inlägg och kommentarer som innehåller sekretess".
            self.add_error("registration_decision", _("Inlägg med sekretess ska diarieföras."))
        posted, removed = data.get("posted_at"), data.get("removed_at")
        if posted and removed and removed < posted:
            self.add_error("removed_at", _("Kan inte vara före publiceringen."))
        return data


class CorrectionForm(RemovalForm):
    correction_note = forms.CharField(
        label=_("Vad rättas och varför"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["account"]

    def clean(self) -> dict[str, Any]:
        forms.Form.clean(self)
        data = self.cleaned_data
        posted, removed = data.get("posted_at"), data.get("removed_at")
        if posted and removed and removed < posted:
            self.add_error("removed_at", _("Kan inte vara före publiceringen."))
        return data


class RegistrationForm(formpatterns.Form):
    diarienummer = forms.CharField(label=_("Diarienummer"), max_length=60)
    registered_on = formfields.DateField(
        label=_("Diarieförd den"), widget=DateInput(), latest=timezone.localdate
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["registered_on"].initial = timezone.localdate()


class IncomingForm(formpatterns.Form):
    account = AccountChoiceField(
        label=_("Konto"),
        queryset=SocialAccount.objects.none(),
        empty_label=_("Välj konto"),
        error_messages={"required": _("Välj kontot där frågan kom in")},
    )
    received_at = PastDateTimeField(
        label=_("Inkom"), error_messages={"required": _("Ange när frågan kom in")}
    )
    # No pre-selected type: only questions run the response-time clock (MOD-5).
    kind = forms.ChoiceField(
        label=_("Typ"),
        choices=[("", _("– Välj –")), *IncomingItem.Kind.choices],
        error_messages={"required": _("Ange vilken typ av ärende det är.")},
    )
    text = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Ange vad avsändaren skrev")},
    )
    url = forms.URLField(label=_("Länk"), required=False, max_length=500, assume_scheme="https")
    sender_name = forms.CharField(label=_("Avsändare"), required=False, max_length=200)
    confidential = forms.BooleanField(
        label=_("Innehåller sekretessbelagda uppgifter"), required=False
    )
    notify_communications = forms.BooleanField(
        label=_("Informera även kommunikationsavdelningen"),
        required=False,
        help_text=_("Vid kritik eller felaktigheter om kommunen (Omvärldsbevakning)."),
    )

    def __init__(self, *args: Any, accounts: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if accounts is not None:
            field = cast(AccountChoiceField, self.fields["account"])
            field.queryset = accounts.select_related("platform", "department")
        self.fields["received_at"].initial = timezone.localtime().strftime(DATETIME_FORMAT)


class AcknowledgeForm(formpatterns.Form):
    promised_answer = forms.CharField(
        label=_("Besked om när svar kommer"),
        max_length=300,
        help_text=_("T.ex. ”Vi återkommer med svar senast på torsdag.”"),
        error_messages={"required": _("Ange när avsändaren får svar")},
    )


CLOSING_OUTCOMES = [
    (value, label)
    for value, label in IncomingItem.Outcome.choices
    if value not in (IncomingItem.Outcome.OPEN, IncomingItem.Outcome.UNPUBLISHED)
]


SIGNATURE_MISSING = {
    "signed_name": _("Ange ditt namn i underskriften"),
    "signed_title": _("Ange din titel i underskriften"),
    "signed_office": _("Ange ditt kontor eller din avdelning i underskriften"),
}


class CloseIncomingForm(formpatterns.Form):
    """Bilaga 4: besvara, vidarebefordra, hänvisa, diarieföra (avpublicera: a removal)."""

    outcome = forms.ChoiceField(
        label=_("Utfall"),
        choices=CLOSING_OUTCOMES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Välj hur frågan avslutades")},
    )
    reply = forms.CharField(
        label=_("Svar"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Underskriften nedan läggs till sist i svaret om den inte redan står där."),
    )
    signed_name = forms.CharField(label=_("Undertecknat: namn"), required=False, max_length=150)
    signed_title = forms.CharField(label=_("Undertecknat: titel"), required=False, max_length=150)
    signed_office = forms.CharField(
        label=_("Undertecknat: kontor/avdelning"), required=False, max_length=150
    )
    forwarded_to = forms.CharField(label=_("Vidarebefordrad till"), required=False, max_length=200)
    registration_decision = registration_decision_field(
        missing=_("Ange om ärendet ska diarieföras.")
    )
    diarienummer = forms.CharField(label=_("Diarienummer"), required=False, max_length=60)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        outcome = data.get("outcome")
        Outcome = IncomingItem.Outcome
        if outcome == Outcome.ANSWERED:
            if not data.get("reply", "").strip():
                self.add_error("reply", _("Skriv svaret som det publicerades."))
            else:
                # MOD-5, "Frekvenser och svarstider": signed with name, title and office,
                # entered once in their fields (prefilled from the profile).
                for part, message in SIGNATURE_MISSING.items():
                    if not data.get(part, "").strip():
                        self.add_error(part, message)
                data["reply"] = self.signed_reply(data)
                # MOD-5, "Frekvenser och svarstider": signed with name, title and office.
                for problem in IncomingItem.signature_problems(
                    data.get("reply", ""),
                    name=data.get("signed_name", ""),
                    title=data.get("signed_title", ""),
                    office=data.get("signed_office", ""),
                ):
                    self.add_error("reply", problem)
        if outcome == Outcome.FORWARDED and not data.get("forwarded_to", "").strip():
            self.add_error("forwarded_to", _("Ange vem frågan skickades till."))
        decision = data.get("registration_decision")
        registers = (
            outcome == Outcome.REGISTERED or decision in RegistrationDecision.register_values()
        )
        if registers and not data.get("diarienummer", "").strip():
            # MOD-4: "Register" requires a diarienummer.
            self.add_error("diarienummer", _("Diarieföring kräver ett diarienummer."))
        if (
            outcome == Outcome.REGISTERED
            and decision
            and decision not in RegistrationDecision.register_values()
        ):
            self.add_error("registration_decision", _("Välj varför ärendet diarieförs."))
        return data

    @staticmethod
    def signed_reply(data: dict[str, Any]) -> str:
        """Return the reply ending with its signature, added when the reply lacks it."""
        reply = data.get("reply", "").rstrip()
        parts = [data.get(f"signed_{part}", "").strip() for part in ("name", "title", "office")]
        if not all(parts) or all(part.casefold() in reply.casefold() for part in parts):
            return reply
        return f"{reply}\n\n/{', '.join(parts)}"


class PeriodExportForm(formpatterns.Form):
    account = AccountChoiceField(label=_("Konto"), queryset=SocialAccount.objects.none())
    start = formfields.DateField(label=_("Från och med"), widget=DateInput())
    end = formfields.DateField(label=_("Till och med"), widget=DateInput())
    format = forms.ChoiceField(label=_("Format"), choices=[("pdf", "PDF/A"), ("csv", "CSV")])

    def __init__(self, *args: Any, accounts: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if accounts is not None:
            field = cast(AccountChoiceField, self.fields["account"])
            field.queryset = accounts.select_related("platform", "department")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("Slutet kan inte vara före början."))
        return data
