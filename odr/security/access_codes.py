"""Access codes at rest: HMAC-SHA256 under a server key, so a copy of the database is not enough.

An access code is 10 characters of 31 (about 2⁴⁹): few enough that a salted SHA-256 of it, taken
with the database, gives the code up to one graphics card in days. Keyed, the copy is useless
without the key, which lives in the settings (ODR_ACCESS_CODE_KEY, else derived from
ODR_SECRET_KEY), never in the database. The hash stays fast (intake and the demo write millions),
which a password hasher would not.

Hashes written before the key ("salt$sha256") still verify: they cannot be converted, since only
the consumer has the code; they go with the purge of closed cases.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from odr.settings import Settings

KEYED = "hmac-sha256"
_key: bytes | None = None


def key_of(settings: Settings) -> bytes:
    """The HMAC key: from its own setting, else from the secret key (a different purpose)."""
    secret = settings.access_code_key or settings.secret_key
    return hmac.new(secret.encode(), b"odr access codes", hashlib.sha256).digest()


def use_key(settings: Settings) -> None:
    """Hash and verify codes with these settings' key from now on (the app and CLI call this)."""
    global _key
    _key = key_of(settings)


def _current_key() -> bytes:
    # A process that never called use_key (a worker of the demo's pool, a script) reads the
    # same environment as the server, so it hashes with the same key.
    if _key is None:
        use_key(Settings.from_env())
    assert _key is not None
    return _key


def _normal(code: str) -> str:
    return code.strip().upper()


def hash_code(code: str, salt: str | None = None) -> str:
    """ "hmac-sha256$<salt>$<hex>": the salt keeps two cases with one code apart."""
    salt = salt or secrets.token_hex(8)
    mac = hmac.new(_current_key(), f"{salt}:{_normal(code)}".encode(), hashlib.sha256)
    return f"{KEYED}${salt}${mac.hexdigest()}"


def verify_code(stored: str, code: str) -> bool:
    """Constant-time check of a typed code against a keyed or an older salted hash."""
    scheme, _, rest = stored.partition("$")
    if scheme == KEYED:
        salt, _, _ = rest.partition("$")
        return hmac.compare_digest(hash_code(code, salt), stored)
    legacy = hashlib.sha256(f"{scheme}:{_normal(code)}".encode()).hexdigest()
    return hmac.compare_digest(f"{scheme}${legacy}", stored)
