"""Reads of imports: the history, every row's outcome page by page, the error report."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from essaim.core.models import Association
from essaim.people.models import Person

from ..models import ImportChunk, ImportJob
from . import engine, reading

OUTCOME_FILTERS = {
    "all": set(engine.OUTCOMES),
    "problems": {engine.REJECTED, engine.SKIPPED},
    "rejected": {engine.REJECTED},
    "skipped": {engine.SKIPPED},
    "created": {engine.CREATED},
    "updated": {engine.UPDATED},
}


def import_jobs(association: Association) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(association=association).select_related("created_by")


def results_phase(job: ImportJob) -> str:
    """The rows shown: those of the import once it has started, else those of the check."""
    if job.status in (
        ImportJob.Status.QUEUED,
        ImportJob.Status.RUNNING,
        ImportJob.Status.DONE,
        ImportJob.Status.FAILED,
    ):
        return ImportChunk.Phase.IMPORT
    return ImportChunk.Phase.PREVIEW


class ResultRows:
    """One phase's row outcomes as a sequence Paginator can page: a page decompresses only
    the chunks it needs (two at most for a page of 50 rows of 2,000-row chunks)."""

    def __init__(self, job: ImportJob, phase: str, outcomes: set[str]):
        self.job = job
        self.outcomes = outcomes
        self.names = {engine.COUNT_NAMES[o] for o in outcomes}
        self.chunks = list(
            ImportChunk.objects.filter(job=job, phase=phase)
            .order_by("number")
            .only("pk", "number", "counts")
        )

    def _size(self, chunk: ImportChunk) -> int:
        return sum(chunk.counts.get(name, 0) for name in self.names)

    def count(self) -> int:
        return sum(self._size(chunk) for chunk in self.chunks)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list[dict]:
        start, stop = key.start or 0, key.stop if key.stop is not None else self.count()
        wanted, offset = [], 0
        for chunk in self.chunks:
            size = self._size(chunk)
            if offset + size > start and offset < stop:
                wanted.append((chunk.pk, offset))
            offset += size
        blobs = dict(
            ImportChunk.objects.filter(pk__in=[pk for pk, _o in wanted]).values_list(
                "pk", "results"
            )
        )
        rows = []
        for pk, offset in wanted:
            selected = [r for r in engine.decode_results_blob(blobs[pk]) if r[1] in self.outcomes]
            rows.extend(selected[max(0, start - offset) : max(0, stop - offset)])
        return _with_persons(self.job, rows)


def _with_persons(job: ImportJob, rows: list[list]) -> list[dict]:
    ids = {row[4] for row in rows if row[4]}
    uuids = (
        dict(
            Person.objects.filter(
                association=job.association, pk__in=ids, erased_at__isnull=True
            ).values_list("pk", "uuid")
        )
        if ids
        else {}
    )
    return [
        {
            "line": line,
            "outcome": outcome,
            "label": label,
            "messages": messages,
            "person_uuid": uuids.get(person_id),
        }
        for line, outcome, label, messages, person_id in rows
    ]


def result_rows(job: ImportJob, outcome_filter: str = "all") -> ResultRows:
    outcomes = OUTCOME_FILTERS.get(outcome_filter, OUTCOME_FILTERS["all"])
    return ResultRows(job, results_phase(job), outcomes)


def report(job: ImportJob, *, everything: bool = False) -> tuple[list[str], list[list]]:
    """The error report: the file's columns as they were, then "Line", "Result", "Error",
    for the rows that were not imported (every row with `everything`). Fixed, it can be
    imported again: the three added columns are ignored."""
    phase = results_phase(job)
    outcomes: dict[int, tuple[str, list[str]]] = {}
    for blob in ImportChunk.objects.filter(job=job, phase=phase).values_list("results", flat=True):
        for line, outcome, _label, messages, _person in engine.decode_results_blob(blob):
            outcomes[line] = (outcome, messages)
    names = {
        # A context of their own: "created"/"updated" also label dates ("créé le").
        engine.CREATED: pgettext("import outcome", "created"),
        engine.UPDATED: pgettext("import outcome", "updated"),
        engine.SKIPPED: pgettext("import outcome", "skipped"),
        engine.REJECTED: pgettext("import outcome", "rejected"),
    }
    if phase == ImportChunk.Phase.PREVIEW:
        names = {
            engine.CREATED: _("to create"),
            engine.UPDATED: _("to update"),
            engine.SKIPPED: _("to skip"),
            engine.REJECTED: _("rejected"),
        }
    header = [*job.header, _("Line"), _("Result"), _("Error")]
    rows = []
    table = reading.open_table(
        engine.read_file(job), sheet=job.sheet, encoding=job.encoding, delimiter=job.delimiter
    )
    width = len(job.header)
    for line, cells in reading.data_rows(table, job.header_line):
        if not cells or line not in outcomes:
            continue
        outcome, messages = outcomes[line]
        if not everything and outcome not in (engine.REJECTED, engine.SKIPPED):
            continue
        values = [reading.cell_text(c) for c in cells[:width]]
        values += [""] * (width - len(values))
        rows.append([*values, line, names[outcome], " ".join(messages)])
    return header, rows
