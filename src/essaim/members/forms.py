from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from essaim.core.forms import EssaimForm

from .models import DuesPayment, Membership, MembershipSettings, MembershipType


class EurosField(forms.CharField):
    """An amount typed the French way ("12,50", "12.5", "12 €") stored as integer cents."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(*args, **kwargs)
        # CharField's length validators would run on the cleaned value, an int.
        self.validators = []

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        if len(value) > 20:
            raise forms.ValidationError(_("Enter an amount in euros, like 20 or 12,50."))
        cleaned = value.replace("€", "").replace("\u202f", "").replace(" ", "").replace(",", ".")
        try:
            amount = Decimal(cleaned)
        except InvalidOperation as exc:
            raise forms.ValidationError(_("Enter an amount in euros, like 20 or 12,50.")) from exc
        if not amount.is_finite() or amount < 0 or amount > 100_000:
            raise forms.ValidationError(_("Between 0 and 100,000 €."))
        return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))

    def prepare_value(self, value):
        if isinstance(value, int):
            euros, cents = divmod(value, 100)
            return f"{euros},{cents:02d}" if cents else str(euros)
        return value


class MembershipTypeForm(EssaimForm):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("For example: Adhésion annuelle.")
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    price_kind = forms.ChoiceField(
        label=_("Price"), choices=MembershipType.PriceKind.choices, widget=forms.RadioSelect
    )
    amount_cents = EurosField(
        label=_("Amount (€)"),
        required=False,
        help_text=_("For an amount chosen by the member: the suggested amount."),
    )
    min_amount_cents = EurosField(label=_("Minimum amount (€)"), required=False)
    reduced_amount_cents = EurosField(
        label=_("Reduced amount (€)"), required=False, help_text=_("Leave empty if none.")
    )
    reduced_label = forms.CharField(
        label=_("Who can pay the reduced amount"), required=False, max_length=200
    )
    reduced_requires_proof = forms.BooleanField(label=_("Ask for a proof"), required=False)
    period_kind = forms.ChoiceField(
        label=_("Period"), choices=MembershipType.PeriodKind.choices, widget=forms.RadioSelect
    )
    season_start_month = forms.TypedChoiceField(
        label=_("For a season: month it starts"),
        coerce=int,
        choices=[
            (1, _("January")),
            (2, _("February")),
            (3, _("March")),
            (4, _("April")),
            (5, _("May")),
            (6, _("June")),
            (7, _("July")),
            (8, _("August")),
            (9, _("September")),
            (10, _("October")),
            (11, _("November")),
            (12, _("December")),
        ],
        initial=9,
    )
    prorata = forms.BooleanField(
        label=_("Late joiners pay pro-rata"),
        required=False,
        help_text=_("Someone joining in June pays 7/12 of a calendar-year amount."),
    )
    is_household = forms.BooleanField(
        label=_("Household membership (several people, one payment)"), required=False
    )
    max_household_size = forms.IntegerField(
        label=_("People per household at most"), min_value=2, max_value=20, initial=6
    )
    voting_rights = forms.BooleanField(
        label=_("Gives voting rights at general meetings"), required=False, initial=True
    )
    voting_weight = forms.IntegerField(
        label=_("Voting weight"), min_value=0, max_value=100, initial=1
    )
    online = forms.BooleanField(
        label=_("Offered on the online join form"), required=False, initial=True
    )
    is_active = forms.BooleanField(label=_("Still offered"), required=False, initial=True)

    def __init__(self, *args, instance: MembershipType | None = None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(instance, name) for name in self.base_fields}
        super().__init__(*args, **kwargs)
        if instance is None:
            self.initial.setdefault("price_kind", MembershipType.PriceKind.FIXED)
            self.initial.setdefault("period_kind", MembershipType.PeriodKind.CALENDAR_YEAR)

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        for name in ("amount_cents", "min_amount_cents"):
            data[name] = data[name] or 0
        return data


class MembershipSettingsForm(EssaimForm):
    join_enabled = forms.BooleanField(label=_("The online join form is open"), required=False)
    join_intro = forms.CharField(
        label=_("Welcome text of the join form"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    ask_phone = forms.ChoiceField(label=_("Phone"), choices=MembershipSettings.FieldRule.choices)
    ask_address = forms.ChoiceField(
        label=_("Postal address"), choices=MembershipSettings.FieldRule.choices
    )
    ask_birth_date = forms.ChoiceField(
        label=_("Date of birth"), choices=MembershipSettings.FieldRule.choices
    )
    approval_required = forms.BooleanField(
        label=_("New members are approved by the team before they become members"),
        required=False,
    )
    statutes_url = forms.URLField(
        label=_("Address of your statutes (web page or PDF)"), required=False, assume_scheme="https"
    )
    privacy_notice = forms.CharField(
        label=_("Personal data notice"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Leave empty to use Essaim's standard notice."),
    )
    payment_instructions = forms.CharField(
        label=_("How to pay the dues"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Cheque to whom, address, IBAN for a transfer…"),
    )
    grace_days = forms.IntegerField(
        label=_("Grace period after the end (days)"), min_value=0, max_value=365
    )
    reminder_offsets = forms.CharField(
        label=_("Renewal reminders (days from the end)"),
        max_length=60,
        required=False,
        help_text=_("Negative: before the end; positive: after. For example: -30, -7, 7."),
    )
    retention_months = forms.IntegerField(
        label=_("Keep former members for (months)"), min_value=1, max_value=120
    )

    def __init__(self, *args, instance: MembershipSettings, **kwargs):
        if "initial" not in kwargs:
            kwargs["initial"] = {
                "join_enabled": instance.join_enabled,
                "join_intro": instance.join_intro,
                "ask_phone": instance.join_fields.get("phone", "hidden"),
                "ask_address": instance.join_fields.get("address", "hidden"),
                "ask_birth_date": instance.join_fields.get("birth_date", "hidden"),
                "approval_required": instance.approval_required,
                "statutes_url": instance.statutes_url,
                "privacy_notice": instance.privacy_notice,
                "payment_instructions": instance.payment_instructions,
                "grace_days": instance.grace_days,
                "reminder_offsets": ", ".join(str(o) for o in instance.reminder_offsets),
                "retention_months": instance.retention_months,
            }
        super().__init__(*args, **kwargs)

    def clean_reminder_offsets(self):
        raw = self.cleaned_data["reminder_offsets"]
        values = []
        for part in raw.replace(";", ",").split(","):
            part = part.strip().replace("+", "")
            if not part:
                continue
            try:
                values.append(int(part))
            except ValueError as exc:
                raise forms.ValidationError(
                    _("Give whole numbers of days separated by commas, e.g. -30, -7, 7.")
                ) from exc
        return values

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["join_fields"] = {
            "phone": data.pop("ask_phone"),
            "address": data.pop("ask_address"),
            "birth_date": data.pop("ask_birth_date"),
        }
        return data


class MembershipCreateForm(EssaimForm):
    """Add a membership for an existing contact (the contact page links here)."""

    membership_type = forms.ModelChoiceField(
        label=_("Membership type"), queryset=MembershipType.objects.none(), empty_label=None
    )
    start_on = forms.DateField(
        label=_("Joining date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"],
        help_text=_("The period is the one of the type that covers this date."),
    )
    rate = forms.ChoiceField(
        label=_("Rate"), choices=Membership.Rate.choices, widget=forms.RadioSelect
    )
    chosen_amount_cents = EurosField(
        label=_("Amount chosen (€)"),
        required=False,
        help_text=_("For a membership with a free amount only."),
    )
    reduced_proof = forms.CharField(
        label=_("Proof of the reduced rate"),
        required=False,
        max_length=255,
        help_text=_("What was shown, e.g. “student card 2026 seen”. Keep no copy of it."),
    )
    paid = forms.ChoiceField(
        label=_("Dues"),
        choices=[("", _("not paid yet")), *DuesPayment.Method.choices],
        required=False,
        help_text=_("If the dues were paid now, how."),
    )
    reference = forms.CharField(label=_("Payment reference"), required=False, max_length=100)

    def __init__(self, *args, association, can_record_payment: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["membership_type"].queryset = MembershipType.objects.filter(
            association=association, is_active=True
        ).order_by("position", "name")
        self.initial.setdefault("start_on", timezone.localdate())
        self.initial.setdefault("rate", Membership.Rate.NORMAL)
        if not can_record_payment:  # payments are for roles with the finance capability
            del self.fields["paid"]
            del self.fields["reference"]


class PaymentForm(EssaimForm):
    method = forms.ChoiceField(label=_("Payment method"), choices=DuesPayment.Method.choices)
    paid_on = forms.DateField(
        label=_("Date of payment"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"],
    )
    amount_cents = EurosField(
        label=_("Amount received (€)"),
        required=False,
        help_text=_("Leave empty if it is exactly the dues."),
    )
    reference = forms.CharField(
        label=_("Reference"),
        required=False,
        max_length=100,
        help_text=_("Cheque number, transfer reference…"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("paid_on", timezone.localdate())
        self.initial.setdefault("method", DuesPayment.Method.CHEQUE)


class EndMembershipForm(EssaimForm):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=255)


class MemberBulkForm(EssaimForm):
    action = forms.ChoiceField(
        label=_("With the selected memberships"),
        choices=[
            ("paid", _("Mark as paid")),
            ("remind", _("Send a reminder")),
            ("tag", _("Add a tag")),
            ("export", _("Export to a spreadsheet")),
            ("resign", _("Record their resignation")),
        ],
    )
    method = forms.ChoiceField(
        label=_("Payment method"), choices=DuesPayment.Method.choices, required=False
    )
    tag = forms.CharField(label=_("Tag"), required=False, max_length=60)

    def __init__(self, *args, can_pay: bool = True, **kwargs):
        """`can_pay`: the user may record payments (finances); else "mark as paid" is not
        offered."""
        super().__init__(*args, **kwargs)
        self.can_pay = can_pay
        choices = [c for c in self.fields["action"].choices if can_pay or c[0] != "paid"]
        self.fields["action"].choices = [("", _("Choose an action…")), *choices]
        self.fields["action"].error_messages["required"] = _("Choose what to do.")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == "tag" and not (cleaned.get("tag") or "").strip():
            self.add_error("tag", _("Give the tag to add."))
        if cleaned.get("action") == "paid" and not cleaned.get("method"):
            self.add_error("method", _("Say how the dues were paid."))
        return cleaned
