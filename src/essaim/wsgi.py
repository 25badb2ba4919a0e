import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "essaim.settings")
application = get_wsgi_application()

# What is loaded at start (Django, the apps, their modules: ~160,000 objects) lives as long as
# the process: out of the garbage collector's full passes, which otherwise pause a request
# now and then for 100 ms and more. With a pre-forking server, call it in the parent so the
# children share those pages (copy-on-write).
gc.collect()
gc.freeze()
