"""The `oidc_provider` fixture: a real OpenID Connect provider (tests/oidc_provider/, on
django-oauth-toolkit) in a second process on a free 127.0.0.1 port, with its own SQLite
database, an RSA key generated at start, one registered client and the users below; and
`idp_sign_in`, which plays a person at the provider's login page with `requests`."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "expertdesk-test-client"
CLIENT_SECRET = "test-client-secret-5b0e1c7d9a"  # noqa: S105 - the test provider's own
PASSWORD = "idp-password-4711"  # noqa: S105

# username -> (e-mail, name, email_verified)
USERS: dict[str, tuple[str, str, bool]] = {
    "nina": ("nina.new@acme.test", "Nina New", True),
    "erik": ("erik.existing@acme.test", "Erik Existing", True),
    "olga": ("olga.outsider@elsewhere.test", "Olga Outsider", True),
    "ulla": ("ulla.unverified@acme.test", "Ulla Unverified", False),
    "owen": ("owen.owner@acme.test", "Owen Owner", True),
    "jade": ("jade.journey@acme.test", "Jade Journey", True),
}


@dataclass(frozen=True)
class OidcProvider:
    issuer: str
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    password: str = PASSWORD


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    here = tmp_path_factory.mktemp("oidc-provider")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (here / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    spec = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "users": [
            {
                "username": name,
                "password": PASSWORD,
                "email": email,
                "first_name": full.split()[0],
                "last_name": full.split()[1],
                "email_verified": verified,
            }
            for name, (email, full, verified) in USERS.items()
        ],
    }
    (here / "spec.json").write_text(json.dumps(spec))
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}/o"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
        "OIDC_PROVIDER_DB": str(here / "provider.sqlite3"),
        "OIDC_PROVIDER_KEY_FILE": str(here / "key.pem"),
        "OIDC_PROVIDER_ISSUER": issuer,
    }
    env.pop("DATABASE_URL", None)
    log = (here / "provider.log").open("w")
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "tests.oidc_provider.serve", str(port), str(here / "spec.json")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1)
            break
        except requests.ConnectionError as exc:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(
                    f"the test OIDC provider did not start; see {here / 'provider.log'}"
                ) from exc
            time.sleep(0.2)
    yield OidcProvider(issuer=issuer)
    process.terminate()
    process.wait(timeout=10)
    log.close()


def idp_sign_in(authorize_url: str, username: str, password: str = PASSWORD) -> str:
    """A person at the provider: opens the authorization URL, signs in on its login page,
    and returns where the provider sends the browser back (the app's callback URL)."""
    with requests.Session() as browser:
        page = browser.get(authorize_url, timeout=10)  # -> the provider's login page
        page.raise_for_status()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        nxt = re.search(r'name="next" value="([^"]*)"', page.text)
        assert token and nxt, page.text[:500]
        answer = browser.post(
            page.url,
            data={
                "csrfmiddlewaretoken": token.group(1),
                "username": username,
                "password": password,
                "next": nxt.group(1).replace("&amp;", "&"),
            },
            headers={"Referer": page.url},
            allow_redirects=False,
            timeout=10,
        )
        # Login -> the authorization endpoint again -> the app's callback with ?code=.
        while answer.status_code in (301, 302, 303):
            location = urljoin(answer.url, answer.headers["Location"])
            if not location.startswith(authorize_url.split("/o/")[0]):
                return location
            answer = browser.get(location, allow_redirects=False, timeout=10)
        raise AssertionError(f"the provider did not send the browser back: {answer.status_code}")
