"""Secrets the server must read back (a client secret it sends to an identity provider), kept
encrypted at rest: Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) with a key derived
by HKDF from a setting and a purpose string, so a copy of the database alone (a backup, a
read-only SQL injection) reveals nothing and the key is never the raw SECRET_KEY. Decryption
also tries the fallback keys, so a key can be rotated: put the old one there, then re-save.

(webhooks/signing.py does the same for signing secrets with its own purpose and settings.)
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class SecretUnreadable(Exception):  # noqa: N818 - a state, not a programming error
    """The stored secret can't be decrypted with any configured key."""


def _fernet_for(key_material: str, purpose: bytes) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        key_material.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def _box(keys: Sequence[str], purpose: bytes) -> MultiFernet:
    return MultiFernet([_fernet_for(k, purpose) for k in keys if k])


def secret_seal(plaintext: str, *, keys: Sequence[str], purpose: bytes) -> str:
    """The ciphertext of `plaintext` under the first of `keys`."""
    return _box(keys, purpose).encrypt(plaintext.encode()).decode()


def secret_open(token: str, *, keys: Sequence[str], purpose: bytes) -> str:
    try:
        return _box(keys, purpose).decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "The stored secret can't be decrypted: its key changed without the old key in the "
            "FALLBACKS setting."
        ) from None
