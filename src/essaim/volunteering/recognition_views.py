"""Recognition screens and downloads.

Team (`can_manage_volunteers`), under /a/<slug>/volunteering/recognition/: the volunteers
with approved hours (year filter, search), one volunteer's page with their missions and the
yearly statement, the attestation and statement PDFs.

Volunteer's own space, under /account/volunteering/recognition/: an attestation per
association where they have approved hours, the yearly statement for the Compte
d'Engagement Citoyen across every association of the instance (page and PDF), and the
passeport bénévole. Public: the verification page of an attestation.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django_scopes import scope

from essaim.core.models import Association
from essaim.core.pagination import query_without_page
from essaim.core.tenancy import require
from essaim.lib.text import uuid_or_none

from . import recognition, recognition_pdf
from .views import VOLUNTEERS

PAGE_SIZE = 30
ALL_YEARS = "all"


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _year_param(request, default: int | None) -> int | None:
    """?year=2025, ?year=all (None) or the default; a bad value falls back to the default."""
    raw = request.GET.get("year", "")
    if raw == ALL_YEARS:
        return None
    try:
        return recognition.check_year(int(raw))
    except (TypeError, ValueError, ValidationError):
        return default


def _years(first: int = 2000) -> list[int]:
    this_year = timezone.localdate().year
    return list(range(this_year, max(first, this_year - 9) - 1, -1))


def _volunteer(association, volunteer_key: str) -> recognition.Volunteer:
    volunteer = recognition.volunteer_of(association, volunteer_key)
    if volunteer is None:
        raise Http404
    return volunteer


def _name_part(name: str) -> str:
    return slugify(name)[:40] or "benevole"


# --- Team ----------------------------------------------------------------------------------


@require(VOLUNTEERS)
def volunteer_list(request, association_slug: str):
    association = request.seat.association
    year = _year_param(request, timezone.localdate().year)
    query = (request.GET.get("q") or "").strip()[:100]
    rows = recognition.volunteers_with_hours(association, year=year, query=query)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "volunteering/recognition_list.html",
        {
            "association": association,
            "page": page,
            "year": year,
            "years": _years(),
            "query": query,
            "total": recognition.format_minutes(sum(r.minutes for r in rows)),
            "query_string": query_without_page(request),
        },
    )


@require(VOLUNTEERS)
def volunteer_detail(request, association_slug: str, volunteer_key: str):
    association = request.seat.association
    volunteer = _volunteer(association, volunteer_key)
    year = _year_param(request, timezone.localdate().year) or timezone.localdate().year
    lines = recognition.mission_lines(recognition.approved_hours(association, volunteer))
    statement = recognition.statement_for_volunteer(association, volunteer, year)
    return render(
        request,
        "volunteering/recognition_volunteer.html",
        {
            "association": association,
            "volunteer": volunteer,
            "lines": lines,
            "total": recognition.format_minutes(sum(line.minutes for line in lines)),
            "statement": statement,
            "thresholds": recognition_pdf.threshold_texts(statement),
            "rule": recognition_pdf.cec_rule_paragraphs(),
            "year": year,
            "years": _years(),
        },
    )


@require(VOLUNTEERS)
def attestation_download(request, association_slug: str, volunteer_key: str):
    association = request.seat.association
    volunteer = _volunteer(association, volunteer_key)
    year = _year_param(request, None)
    document = recognition.attestation_issue(
        association=association, acting_user=request.user, volunteer=volunteer, year=year
    )
    suffix = f"-{year}" if year else ""
    return _pdf(
        recognition_pdf.attestation_pdf(document),
        f"attestation-benevolat-{_name_part(volunteer.name)}{suffix}.pdf",
    )


@require(VOLUNTEERS)
def statement_download(request, association_slug: str, volunteer_key: str, year: int):
    association = request.seat.association
    volunteer = _volunteer(association, volunteer_key)
    try:
        statement = recognition.statement_issue(
            association=association, acting_user=request.user, volunteer=volunteer, year=year
        )
    except ValidationError as error:
        raise Http404(error.messages[0]) from error
    return _pdf(
        recognition_pdf.statement_pdf(statement),
        f"heures-benevolat-{year}-{_name_part(volunteer.name)}.pdf",
    )


# --- The volunteer's own space ---------------------------------------------------------------


@login_required
def my_recognition(request):
    year = _year_param(request, timezone.localdate().year) or timezone.localdate().year
    statement = recognition.statement_for_account(request.user, year)
    return render(
        request,
        "volunteering/public/recognition.html",
        {
            "associations": recognition.associations_with_hours(request.user),
            "statement": statement,
            "thresholds": recognition_pdf.threshold_texts(statement),
            "rule": recognition_pdf.cec_rule_paragraphs(),
            "year": year,
            "years": _years(),
        },
    )


@login_required
def my_attestation(request, association_uuid):
    uuid = uuid_or_none(str(association_uuid))
    association = Association.objects.filter(uuid=uuid).first() if uuid else None
    if association is None or association not in recognition.associations_with_hours(request.user):
        raise Http404
    year = _year_param(request, None)
    with scope(association=association):
        volunteer = recognition.volunteer_for_account(association, request.user)
        document = recognition.attestation_issue(
            association=association,
            acting_user=request.user,
            volunteer=volunteer,
            year=year,
            by_volunteer=True,
        )
    suffix = f"-{year}" if year else ""
    return _pdf(
        recognition_pdf.attestation_pdf(document),
        f"attestation-benevolat-{_name_part(association.name)}{suffix}.pdf",
    )


@login_required
def my_statement(request, year: int):
    try:
        statement = recognition.statement_issue(
            association=None, acting_user=request.user, volunteer=None, year=year
        )
    except ValidationError as error:
        raise Http404(error.messages[0]) from error
    return _pdf(recognition_pdf.statement_pdf(statement), f"heures-benevolat-{year}.pdf")


@login_required
def my_passport(request):
    passport = recognition.passport_issue(user=request.user)
    return _pdf(recognition_pdf.passport_pdf(passport), "passeport-benevole.pdf")


# --- Public ----------------------------------------------------------------------------------


@never_cache
def attestation_verify(request, token: str):
    """What the QR code of an attestation leads to: what the association attested. Whoever
    scans it holds the document already; nothing else is shown."""
    data = recognition.attestation_verify(token) if len(token) <= 2000 else None
    response = render(
        request,
        "volunteering/public/recognition_verify.html",
        {"data": data, "today": timezone.localdate()},
        status=200 if data else 404,
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
