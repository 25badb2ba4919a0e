#!/usr/bin/env python
"""Django's command-line utility for Essaim."""

import os
import sys
from pathlib import Path


def main() -> None:
    # The code lives in src/ (installed in editable mode by `make`); this line lets
    # manage.py also run from a bare checkout.
    sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "essaim.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
