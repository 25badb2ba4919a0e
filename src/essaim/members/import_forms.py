"""Forms of the member import: the file, then what each of its columns is."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from essaim.core.forms import EssaimForm
from essaim.lib.text import fold

from .importing import reading
from .importing.fields import AUTO, FIELDS, GENERIC, PRESETS, mapping_problems
from .models import DuesPayment, ImportJob, MembershipType


class ImportUploadForm(EssaimForm):
    file = forms.FileField(
        label=_("Your spreadsheet"),
        help_text=_(
            "An Excel file (.xlsx) or a CSV file (.csv), 20 MB and 200,000 rows at most. "
            "The first line must give the name of each column."
        ),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".csv,.txt,.tsv,.xlsx,.xlsm,text/csv,application/vnd.ms-excel"}
        ),
    )
    preset = forms.ChoiceField(
        label=_("Where does the file come from?"),
        choices=[
            (AUTO, _("Recognise it automatically")),
            (PRESETS["helloasso"].key, PRESETS["helloasso"].label),
            (PRESETS["paheko"].key, PRESETS["paheko"].label),
            (GENERIC, _("Another spreadsheet (Excel, LibreOffice…)")),
        ],
        initial=AUTO,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size == 0:
            raise ValidationError(_("The file is empty."))
        if upload.size > reading.MAX_BYTES:
            raise ValidationError(
                _("The file is larger than 20 MB. Split it into several files, or save it as CSV.")
            )
        return upload


IGNORE_CHOICE = ("", _("— do not import —"))
NO_MEMBERSHIP = "none"


def _field_choices():
    person = [(f.key, f.label) for f in FIELDS if f.group == "person"]
    membership = [(f.key, f.label) for f in FIELDS if f.group == "membership"]
    return [
        IGNORE_CHOICE,
        (_("The contact"), person),
        (_("The membership and its payment"), membership),
    ]


class ImportMappingForm(EssaimForm):
    """One choice per column of the file, then how to import."""

    duplicates = forms.ChoiceField(
        label=_(
            "A row is someone already in your contacts (same e-mail, or same name and date "
            "of birth)"
        ),
        choices=ImportJob.Duplicates.choices,
        widget=forms.RadioSelect,
        initial=ImportJob.Duplicates.FILL,
    )
    default_start = forms.DateField(
        label=_("Date of the memberships, for rows without a date of joining"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        help_text=_("The membership covers the period of its type that includes this date."),
    )
    name_order = forms.ChoiceField(
        label=_("When the last and first names are in one column"),
        choices=[
            ("last_first", _("the last name comes first (DUPONT Marie)")),
            ("first_last", _("the first name comes first (Marie Dupont)")),
        ],
        initial="last_first",
        help_text=_("Words in capitals are always taken as the last name."),
    )
    default_method = forms.ChoiceField(
        label=_("Payment method, for paid rows that do not say how"),
        choices=DuesPayment.Method.choices,
        initial=DuesPayment.Method.OTHER,
    )

    def __init__(self, *args, job: ImportJob, can_record_payments: bool, **kwargs):
        options = job.options or {}
        initial = {
            "duplicates": options.get("duplicates", ImportJob.Duplicates.FILL),
            "default_start": options.get("default_start") or timezone.localdate(),
            "name_order": options.get("name_order", "last_first"),
            "default_method": options.get("default_method", DuesPayment.Method.OTHER),
            "record_payments": options.get("record_payments", True),
        }
        for index, _title in enumerate(job.header):
            initial[f"col_{index}"] = (job.mapping or {}).get(str(index), "")
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.job = job
        self.types = list(
            MembershipType.objects.filter(association=job.association).order_by("position", "name")
        )
        samples = (job.inspection or {}).get("samples") or []
        self.column_fields = []
        choices = _field_choices()
        for index, title in enumerate(job.header):
            name = f"col_{index}"
            examples = samples[index] if index < len(samples) else []
            self.fields[name] = forms.ChoiceField(label=title, choices=choices, required=False)
            self.column_fields.append((self[name], examples))
        # Types no longer offered stay in the list: an old member list may use them.
        type_choices = [(NO_MEMBERSHIP, _("no membership: contacts only"))] + [
            (
                str(t.pk),
                t.name if t.is_active else _("%(name)s (no longer offered)") % {"name": t.name},
            )
            for t in self.types
        ]
        default_type = options.get("default_type_id")
        self.fields["default_type"] = forms.ChoiceField(
            label=_("Membership type of the rows"),
            choices=type_choices,
            initial=str(default_type)
            if default_type
            else (str(self.types[0].pk) if len(self.types) == 1 else NO_MEMBERSHIP),
            help_text=_("For the rows whose file gives no membership type."),
        )
        if can_record_payments:
            self.fields["record_payments"] = forms.BooleanField(
                label=_("Record the payments the file shows (paid, amount, method)"),
                required=False,
            )
        self.can_record_payments = can_record_payments
        # The values of the column that holds the membership types, each to match with one
        # of the association's types.
        self.type_column = self._type_column()
        self.type_fields = []
        self.too_many_types = False
        if self.type_column is not None:
            distinct = (job.inspection or {}).get("distinct") or []
            values = distinct[self.type_column] if self.type_column < len(distinct) else None
            if values is None:
                self.too_many_types = True
                values = []
            by_name = {fold(t.name): str(t.pk) for t in self.types}
            saved = options.get("type_map") or {}
            if self.is_bound:
                self.data = self.data.copy()
            for position, value in enumerate(values):
                key = fold(value)
                name = f"type_{position}"
                if key in saved:
                    chosen = str(saved[key]) if saved[key] else NO_MEMBERSHIP
                else:
                    chosen = by_name.get(key, "")
                self.fields[name] = forms.ChoiceField(
                    label=value,
                    choices=[("", _("— choose —")), *type_choices],
                    initial=chosen,
                    required=True,
                    error_messages={
                        "required": _("Choose the membership type for this value of the file.")
                    },
                )
                if self.is_bound and self.add_prefix(name) not in self.data:
                    # The type column was chosen in this very form: propose the types whose
                    # name matches, the others stay to choose.
                    self.data[self.add_prefix(name)] = chosen
                self.type_fields.append((self[name], value))

    def _type_column(self) -> int | None:
        mapping = self.mapping_from_data() if self.is_bound else self.job.mapping or {}
        for index, field in mapping.items():
            if field == "membership_type":
                return int(index)
        return None

    def mapping_from_data(self) -> dict[str, str]:
        keys = {f.key for f in FIELDS}
        mapping = {}
        for index in range(len(self.job.header)):
            value = self.data.get(self.add_prefix(f"col_{index}"), "")
            mapping[str(index)] = value if value in keys else ""
        return mapping

    def clean(self):
        cleaned = super().clean()
        mapping = {
            str(index): cleaned.get(f"col_{index}") or "" for index in range(len(self.job.header))
        }
        for problem in mapping_problems(mapping, self.job.header):
            self.add_error(None, problem)
        cleaned["mapping"] = mapping
        return cleaned

    def _type(self, value: str) -> MembershipType | None:
        if not value or value == NO_MEMBERSHIP:
            return None
        return next((t for t in self.types if str(t.pk) == value), None)

    def service_fields(self) -> dict:
        data = self.cleaned_data
        type_map = {
            fold(value): self._type(data.get(field.name, "")) for field, value in self.type_fields
        }
        return {
            "mapping": data["mapping"],
            "default_type": self._type(data.get("default_type", "")),
            "type_map": type_map,
            "duplicates": data["duplicates"],
            "name_order": data["name_order"],
            "default_method": data["default_method"],
            "default_start": data["default_start"],
            "record_payments": bool(data.get("record_payments")) and self.can_record_payments,
        }


class SheetForm(EssaimForm):
    sheet = forms.ChoiceField(label=_("Sheet of the workbook"))

    def __init__(self, *args, job: ImportJob, **kwargs):
        kwargs.setdefault("initial", {"sheet": job.sheet})
        super().__init__(*args, **kwargs)
        self.fields["sheet"].choices = [(name, name) for name in job.sheets]
