"""Test shim: selects the test profile of the one settings file, nothing else."""

import os

os.environ.setdefault("ESSAIM_ENV", "test")
os.environ.setdefault("ESSAIM_MFA_GRACE_DAYS", "7")

from essaim.settings import *  # noqa: F403
