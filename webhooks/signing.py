"""Signing secrets and signatures in the Standard Webhooks scheme
(https://www.standardwebhooks.com/): a secret `whsec_<base64 of random bytes>`, and the
signature `v1,<base64 of HMAC-SHA256(secret bytes, "{id}.{timestamp}.{body}")>`.

At rest the secret is encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`).
It can't be hashed like an API key: we need the plaintext to sign every delivery. Encrypting
it means a copy of the database alone (a backup, a read-only SQL injection) doesn't reveal the
secrets; the key comes from the environment, never the database. The Fernet key is derived
with HKDF from WEBHOOK_SECRET_KEY, or from SECRET_KEY when that is empty, and a purpose string,
so it is never the raw SECRET_KEY. Decryption also tries WEBHOOK_SECRET_KEY_FALLBACKS (or
SECRET_KEY_FALLBACKS), so the key can be rotated: put the old key there, then re-save.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
SECRET_BYTES = 32
_HKDF_INFO = b"expertdesk.webhooks.endpoint-secret.v1"


class SecretUnavailable(Exception):  # noqa: N818 - a state, not a programming error
    """The stored secret can't be decrypted with any configured key."""


def secret_generate() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _fernet_for(key_material: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        key_material.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def _fernet() -> MultiFernet:
    if settings.WEBHOOK_SECRET_KEY:
        keys = [settings.WEBHOOK_SECRET_KEY, *settings.WEBHOOK_SECRET_KEY_FALLBACKS]
    else:
        keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return MultiFernet([_fernet_for(k) for k in keys if k])


def secret_encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def secret_decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnavailable(
            "The endpoint's secret can't be decrypted: WEBHOOK_SECRET_KEY (or SECRET_KEY) changed "
            "without the old key in its FALLBACKS setting."
        ) from None


def _key_bytes(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(
    *, signing_secrets: Sequence[str], message_id: str, timestamp: int, body: bytes
) -> Mapping[str, str]:
    """One `v1,` signature per secret, space-separated (the current secret first): while a
    rolled-over secret still signs, a receiver holding either secret verifies the request."""
    if not signing_secrets:
        raise ValueError("At least one secret signs a delivery.")
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            signature(secret=secret, message_id=message_id, timestamp=timestamp, body=body)
            for secret in signing_secrets
        ),
    }
