"""The team's "Funnels" screen (`can_manage_volunteers`): per mission and per source link,
views → applications → accepted → still active after 3 months, with a period filter and a
CSV/XLSX export. See funnels.py for what each step counts."""

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from essaim.core.forms import EssaimForm
from essaim.core.tenancy import require
from essaim.lib.spreadsheets import spreadsheet_response

from . import funnels as funnel_selectors
from .views import VOLUNTEERS

DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class PeriodForm(EssaimForm):
    start = forms.DateField(label=gettext_lazy("Period start"), required=False, widget=DATE)
    end = forms.DateField(label=gettext_lazy("Period end"), required=False, widget=DATE)

    def period(self):
        start, end = funnel_selectors.default_period()
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        start = data.get("start") or start
        end = data.get("end") or end
        return start, end


def _rate(value) -> str:
    return "" if value is None else f"{value:.1f}".replace(".", ",") + " %"


def _rows(result, spreadsheet: bool):
    for kind, rows in ((_("Mission"), result.by_mission), (_("Source link"), result.by_source)):
        for row in rows:
            yield [
                kind,
                row.label,
                row.views,
                row.applications,
                row.accepted,
                row.judged,
                row.active,
                (row.application_rate if spreadsheet else _rate(row.application_rate)),
                (row.acceptance_rate if spreadsheet else _rate(row.acceptance_rate)),
                (row.retention_rate if spreadsheet else _rate(row.retention_rate)),
            ]


@require(VOLUNTEERS)
def funnel_report(request, association_slug: str):
    association = request.seat.association
    start, end = funnel_selectors.default_period()
    form = PeriodForm(request.GET or None, initial={"start": start, "end": end})
    start, end = form.period()
    result, status = None, 200
    try:
        result = funnel_selectors.funnels(association, start=start, end=end)
    except ValidationError as error:
        form.add_error(None, error.messages)
        status = 400
    fmt = request.GET.get("format", "")
    if result is not None and fmt in ("csv", "xlsx"):
        header = [
            _("Kind"),
            _("Name"),
            _("Views"),
            _("Applications"),
            _("Accepted"),
            _("Accepted at least 3 months ago"),
            _("Still active after 3 months"),
            _("Views → applications (%)"),
            _("Applications → accepted (%)"),
            _("Still active (%)"),
        ]
        return spreadsheet_response(
            header,
            lambda spreadsheet: _rows(result, spreadsheet),
            fmt=fmt,
            name="entonnoirs-benevolat",
            title=_("Funnels"),
        )
    query = request.GET.copy()
    query.pop("format", None)
    return render(
        request,
        "volunteering/funnels.html",
        {
            "association": association,
            "form": form,
            "result": result,
            "start": start,
            "end": end,
            "active_days": funnel_selectors.ACTIVE_AFTER_DAYS,
            "query_string": query.urlencode(),
        },
        status=status,
    )
