from django import forms
from django.utils.translation import gettext_lazy as _

from essaim.core.capabilities import CAPABILITIES
from essaim.core.forms import EssaimForm


class ApiTokenForm(EssaimForm):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What will use this token, e.g. “website sign-up form”."),
    )
    capabilities = forms.MultipleChoiceField(
        label=_("What the token may do"),
        widget=forms.CheckboxSelectMultiple,
        choices=[],
    )
    days = forms.TypedChoiceField(
        label=_("Valid for"),
        coerce=lambda v: int(v) if v else None,
        # "until revoked" is the empty choice: a required field would refuse it.
        required=False,
        empty_value=None,
        choices=[
            ("30", _("30 days")),
            ("90", _("90 days")),
            ("366", _("one year")),
            ("", _("until revoked")),
        ],
        initial="90",
    )

    def __init__(self, *args, seat_capabilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["capabilities"].choices = [
            (c.name, c.label) for c in CAPABILITIES if c.name in seat_capabilities
        ]
