"""Drawing many receipts at once on every core (the annual run).

PDF drawing is pure Python and CPU-bound: a pool of processes draws the chunk's receipts in
parallel while the database transaction that numbered them waits. The pool's processes
start from a fresh interpreter (forkserver): they import only receipt_pdf, never Django's
database connections. ESSAIM_RECEIPT_PROCESSES sets their number (default: the cores, at
most 4); 1 draws in the calling process.
"""

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

from django.conf import settings

from . import receipt_pdf

_pool: ProcessPoolExecutor | None = None


def processes() -> int:
    configured = getattr(settings, "ESSAIM_RECEIPT_PROCESSES", 0)
    return int(configured) if configured else min(4, os.cpu_count() or 1)


def _executor() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(
            max_workers=processes(), mp_context=multiprocessing.get_context("forkserver")
        )
    return _pool


def render_many(documents: list[receipt_pdf.ReceiptDocument]) -> list[bytes]:
    if processes() <= 1 or len(documents) < 8:
        return [receipt_pdf.render(document) for document in documents]
    chunk = max(1, len(documents) // (processes() * 4))
    return list(_executor().map(receipt_pdf.render, documents, chunksize=chunk))
