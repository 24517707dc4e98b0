"""The GOV.UK Design System's patterns for public-service forms, for every form of the product.

Staff use the forms without help, so each form (templates/_form.html) opens with an error
summary linking to the fields, each error sits with its field's label and names what to do
("Ange när frågan kom in", not "Detta fält måste fyllas i."), optional fields say
"(valfritt)", a choice never offers "---------", and "Fel: " starts the page title while
the page has errors. The forms inherit `Form`/`ModelForm` from here; the template tags are
the `form_patterns` library (settings.TEMPLATES).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms, template
from django.db.models.fields import BLANK_CHOICE_DASH
from django.forms.boundfield import BoundField
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

register = template.Library()

# Django's own texts, compared in the language of the moment (they are lazy).
GENERIC_REQUIRED = forms.Field.default_error_messages["required"]
DASHES = BLANK_CHOICE_DASH[0][1]
# Widgets that are a group of inputs: labelled by a legend, linked to by their first input.
GROUP_WIDGETS = (forms.RadioSelect, forms.CheckboxSelectMultiple, forms.MultiWidget)


def _lower_first(text: Any) -> str:
    """Return the label as it reads inside a sentence: "Inkom" → "inkom", "CSV-fil" kept."""
    text = str(text)
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


lower_first = lazy(_lower_first, str)


def _chooses(field: forms.Field) -> bool:
    return isinstance(field, forms.ChoiceField | forms.ModelChoiceField | forms.FileField)


def apply_patterns(form: forms.BaseForm) -> None:
    """Name each required field in its message and replace Django's "---------" choice."""
    for field in form.fields.values():
        label = field.label or ""
        if str(field.error_messages.get("required")) == str(GENERIC_REQUIRED) and label:
            verb = _("Välj {}") if _chooses(field) else _("Ange {}")
            field.error_messages["required"] = format_lazy(verb, lower_first(label))
        if isinstance(field, forms.ModelChoiceField) and field.empty_label == DASHES:
            field.empty_label = format_lazy(_("Välj {}"), lower_first(label))
        elif isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
            choices = list(cast("Iterable[Any]", field.choices))
            if choices and choices[0] == ("", DASHES):
                field.choices = [("", format_lazy(_("Välj {}"), lower_first(label))), *choices[1:]]


class PatternsMixin:
    """Give a form the patterns of apply_patterns.

    `mark_optional = False` for a filter form, where every field is optional and saying so
    is noise; `optional_fields` names the optional fields when the form decides that itself
    (a draft saved half-filled).
    """

    mark_optional = True
    optional_fields: frozenset[str] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        apply_patterns(self)  # type: ignore[arg-type]


class Form(PatternsMixin, forms.Form):
    pass


class ModelForm(PatternsMixin, forms.ModelForm):  # type: ignore[type-arg]
    pass


def is_optional(field: BoundField) -> bool:
    """Return whether the field's label says "(valfritt)"."""
    form = field.form
    if not getattr(form, "mark_optional", True) or field.field.disabled:
        return False
    named = getattr(form, "optional_fields", None)
    if named is not None:
        return field.name in named
    # A single checkbox is a yes or no: it has no "optional".
    return not field.field.required and not isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def label_text(field: BoundField) -> str:
    """Return the field's label, with "(valfritt)" when the field may be left empty."""
    if is_optional(field):
        return format_html('{} <span class="optional">{}</span>', field.label, _("(valfritt)"))
    return format_html("{}", field.label)


@register.filter
def label_tag(field: BoundField) -> str:
    """Return the field's <label>, or its <legend> when the field is a group of inputs."""
    if field.use_fieldset:
        return field.legend_tag(contents=label_text(field))
    return field.label_tag(contents=label_text(field))


@register.filter
def error_anchor(field: BoundField) -> str:
    """Return the id the error summary links to: the input, or a group's first input."""
    if isinstance(field.field.widget, GROUP_WIDGETS):
        return f"{field.auto_id}_0"
    return field.id_for_label or field.auto_id


def form_has_errors(value: Any) -> bool:
    return isinstance(value, forms.BaseForm) and value.is_bound and bool(value.errors)


@register.simple_tag(takes_context=True)
def error_title_prefix(context: template.Context) -> str:
    """Return "Fel: " when a form on the page has errors (GOV.UK: the title says so first)."""
    if any(form_has_errors(value) for value in context.flatten().values()):
        return str(_("Fel: "))
    return ""
