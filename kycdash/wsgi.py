"""WSGI entry point (gunicorn kycdash.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kycdash.settings")
application = get_wsgi_application()
