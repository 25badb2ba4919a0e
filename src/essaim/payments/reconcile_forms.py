"""Forms of the bank reconciliation: the statement file, its columns, a payment recorded
from a bank operation."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from essaim.core.forms import EssaimForm

from . import bank_statements

# The roles the treasurer may give a column (the value date is offered as the date).
MAPPING_ROLES = (
    "date",
    "label",
    "detail",
    "amount",
    "debit",
    "credit",
    "reference",
    "counterparty",
)


class StatementUploadForm(EssaimForm):
    file = forms.FileField(
        label=_("Your bank statement (CSV file)"),
        help_text=_(
            "On your bank's website, download the list of operations as CSV (sometimes "
            "called “Excel (CSV)” or “Tableur”). 5 MB at most."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size == 0:
            raise ValidationError(_("The file is empty."))
        if upload.size > bank_statements.MAX_BYTES:
            raise ValidationError(
                _(
                    "The file is larger than 5 MB: a bank statement is much smaller. Export "
                    "a shorter period (a few months at a time)."
                )
            )
        return upload


class StatementMappingForm(EssaimForm):
    """Which column of the file holds each piece of information."""

    def __init__(self, *args, header: list[str], mapping: dict, **kwargs):
        initial = {}
        for role in MAPPING_ROLES:
            index = mapping.get(role)
            if role == "date" and index is None:
                index = mapping.get("value_date")
            initial[role] = "" if index is None else str(index)
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.header = header
        choices = [("", _("— none —"))] + [
            (str(index), f"{index + 1}. {title}") for index, title in enumerate(header)
        ]
        for role in MAPPING_ROLES:
            self.fields[role] = forms.ChoiceField(
                label=bank_statements.ROLES[role],
                choices=choices,
                required=False,
            )

    def clean(self):
        cleaned = super().clean()
        mapping = {role: int(cleaned[role]) for role in MAPPING_ROLES if cleaned.get(role)}
        for problem in bank_statements.mapping_problems(mapping, len(self.header)):
            self.add_error(None, problem)
        cleaned["mapping"] = mapping
        return cleaned


class RecordPaymentForm(EssaimForm):
    payer_name = forms.CharField(
        label=_("Payer's name"),
        max_length=200,
        required=False,
        help_text=_("As it should appear in the accounts. Leave empty with a contact chosen."),
    )
    contact = forms.UUIDField(required=False, widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note for the team"), max_length=255, required=False)
