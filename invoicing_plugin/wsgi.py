"""WSGI entry point for gunicorn: `gunicorn invoicing_plugin.wsgi:app`."""

from . import create_app

app = create_app()
