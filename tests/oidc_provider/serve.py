"""Starts the test OpenID Connect provider: `python -m tests.oidc_provider.serve <port>
<spec.json>`. Migrates its own SQLite database, registers the client and users that the spec
names, then serves on 127.0.0.1:<port> until killed. The spec:

    {"client_id": ..., "client_secret": ...,
     "users": [{"username", "password", "email", "first_name", "last_name",
                "email_verified": bool}, ...]}
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def main() -> None:
    port, spec_path = int(sys.argv[1]), Path(sys.argv[2])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.oidc_provider.settings")
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import Application

    from .validators import UNVERIFIED_GROUP

    call_command("migrate", verbosity=0)
    spec = json.loads(spec_path.read_text())
    unverified, _ = Group.objects.get_or_create(name=UNVERIFIED_GROUP)
    for u in spec["users"]:
        user = User.objects.create_user(
            username=u["username"],
            password=u["password"],
            email=u["email"],
            first_name=u.get("first_name", ""),
            last_name=u.get("last_name", ""),
        )
        if not u.get("email_verified", True):
            user.groups.add(unverified)
    Application.objects.create(
        name="Expertdesk",
        client_id=spec["client_id"],
        client_secret=spec["client_secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="http://testserver/",  # any loopback callback: see validators.py
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    server = make_server(
        "127.0.0.1",
        port,
        get_wsgi_application(),
        server_class=_ThreadingServer,
        handler_class=_QuietHandler,
    )
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
