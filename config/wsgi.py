import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()

# Imported once per serving process (runserver's, each gunicorn worker after the fork), never by
# management commands: the champions load in the background while the server starts listening.
from ml.preload import champions_preload_in_background  # noqa: E402

champions_preload_in_background()
