"""Back-office forms of the payments app: an association's keys at Stripe and HelloAsso.

A secret is never shown back: its box is always empty, the page shows it masked (kind of key
and last four characters), and an empty box keeps the stored value (online.provider_account_save
reads "" as "unchanged"). The shape of each key is checked by the service, which knows the
prefixes; these forms only bound the input (length, NUL characters) and say it in French.
"""

from django import forms
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from essaim.core.forms import EssaimForm

from .crypto import Secret
from .models import ProviderAccount


class KeyInput(forms.TextInput):
    """A text box that, when a refused value comes back, shows it without its control
    characters (a NUL byte has no place in the HTML)."""

    def format_value(self, value):
        value = super().format_value(value)
        if value:
            value = "".join(c for c in value if c.isprintable())
        return value


KEY_ATTRS = {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"}


def _key(label, help_text="", max_length=255):
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        help_text=help_text,
        widget=KeyInput(attrs=KEY_ATTRS),
    )


def _secret(label, help_text=""):
    # render_value=False: whatever was typed or stored never comes back in the HTML.
    return forms.CharField(
        label=label,
        required=False,
        max_length=255,
        strip=True,
        help_text=help_text,
        widget=forms.PasswordInput(
            render_value=False, attrs={**KEY_ATTRS, "autocomplete": "new-password"}
        ),
    )


class ProviderAccountForm(EssaimForm):
    provider: str = ""
    secret_names: tuple[str, ...] = ()

    enabled = forms.BooleanField(
        label=_("Offer this service to payers"),
        required=False,
        help_text=_("Untick to stop offering this service without losing its settings."),
    )
    api_base_url = _key(
        _("API address (advanced)"),
        _("Leave empty: the service's usual address. Only for a test (sandbox) account."),
        max_length=200,
    )

    def __init__(self, *args, account: ProviderAccount | None = None, **kwargs):
        self.account = account
        if account is not None:
            kwargs.setdefault("initial", {}).update(
                {
                    name: getattr(account, name)
                    for name in self.base_fields
                    if name not in self.secret_names
                }
            )
        else:
            kwargs.setdefault("initial", {}).setdefault("enabled", True)
        kwargs.setdefault("prefix", self.provider)
        super().__init__(*args, **kwargs)
        for name in self.secret_names:
            self.fields[name].help_text = self._secret_help(name)

    def _secret_help(self, name: str) -> str:
        stored: Secret | None = getattr(self.account, name, None) if self.account else None
        if stored is not None and stored.unreadable:
            return _(
                "Stored, but it cannot be read any more (the server's secret key changed): "
                "enter it again."
            )
        if stored:
            return _("Saved: %(masked)s. Leave empty to keep it.") % {
                "masked": escape(stored.masked())
            }
        return _("Not entered yet.")

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields}


class StripeForm(ProviderAccountForm):
    provider = ProviderAccount.Provider.STRIPE
    secret_names = ("secret_key", "webhook_secret")
    field_order = ["enabled", "publishable_key", "secret_key", "webhook_secret", "api_base_url"]

    publishable_key = _key(
        _("Publishable key"),
        _("Stripe Dashboard, Developers › API keys: it starts with pk_live_ (or pk_test_)."),
    )
    secret_key = _secret(_("Secret key"))
    webhook_secret = _secret(_("Webhook signing secret"))


class HelloAssoForm(ProviderAccountForm):
    provider = ProviderAccount.Provider.HELLOASSO
    secret_names = ("secret_key",)
    field_order = ["enabled", "organization_slug", "client_id", "secret_key", "api_base_url"]

    organization_slug = _key(
        _("Organization slug at HelloAsso"),
        _("The part of your HelloAsso address after /associations/."),
        max_length=100,
    )
    client_id = _key(_("API client ID"), _("HelloAsso, Mon compte › Intégrations et API."))
    secret_key = _secret(_("API client secret"))


FORMS = {form.provider: form for form in (StripeForm, HelloAssoForm)}


class RotateForm(EssaimForm):
    confirm = forms.BooleanField(
        label=_(
            "I understand that the current address stops working at once, and that I must "
            "paste the new one in the payment service's settings."
        ),
    )
