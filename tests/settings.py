"""Test shim: selects the test profile of the one settings file, nothing else."""

import os

os.environ.setdefault("ESSAIM_ENV", "test")
os.environ.setdefault("ESSAIM_MFA_GRACE_DAYS", "7")

from essaim.settings import *  # noqa: F403

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not Django's shared in-memory database: that one locks whole tables between
    # connections, while a real SQLite file in WAL mode waits (`timeout`) like production.
    # One file per process: two test runs at once (or xdist workers) never share one.
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"essaim-test-{os.getpid()}.sqlite3")
    }
