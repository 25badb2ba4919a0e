"""`manage.py serve`: the single-box server of `make demo` — web server and worker together.

For production use gunicorn and `manage.py worker` under a process supervisor instead
(docs/deployment.md).
"""

import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Essaim on one machine: web server plus background worker."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, host: str, port: str, **options):
        manage = Path(settings.PROJECT_DIR) / "manage.py"
        worker = subprocess.Popen(
            [sys.executable, str(manage), "worker", "--interval", "0.5", "--no-startup-delay"]
        )
        self.stdout.write(
            self.style.SUCCESS(f"Essaim: http://{host}:{port}/  (worker pid {worker.pid})")
        )
        try:
            call_command("runserver", f"{host}:{port}", use_reloader=False, use_threading=True)
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
