"""WSGI entry point for gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nykvarn_sm.settings")
# A web request never waits on one SQL statement longer than this (seconds, see settings);
# the worker and manage.py (migrations, the fixity check) are not web processes.
os.environ.setdefault("DATABASE_STATEMENT_TIMEOUT", "30")

application = get_wsgi_application()
