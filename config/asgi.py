import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_asgi_application()

# As in config/wsgi.py: the champions load in the background while the server starts.
from ml.preload import champions_preload_in_background  # noqa: E402

champions_preload_in_background()
