"""Bearer tokens shared by every service: signed (HS256) by the CRM at sign-in, verified locally by each service.

Stateless tokens let any replica of any service authorise a request without calling the CRM; the shared
secret comes from each service's settings (AUTH_SECRET in the local stack).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Literal

import jwt

Role = Literal["customer", "operator"]
ALGORITHM = "HS256"


class InvalidToken(Exception):
    """Missing, malformed, expired or wrongly signed credentials."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: an account id and its role."""

    account_id: uuid.UUID
    role: Role

    @property
    def is_operator(self) -> bool:
        return self.role == "operator"


def issue_token(secret: str, principal: Principal, ttl_seconds: int = 12 * 3600) -> str:
    """A signed token for `principal`, valid for `ttl_seconds`."""
    now = int(time.time())
    claims = {"sub": str(principal.account_id), "role": principal.role, "iat": now, "exp": now + ttl_seconds}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(secret: str, token: str) -> Principal:
    """The principal a token was issued to; InvalidToken with the reason otherwise."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "role", "exp"]})
        role = claims["role"]
        if role not in ("customer", "operator"):
            raise InvalidToken(f"unknown role {role!r}")
        return Principal(account_id=uuid.UUID(claims["sub"]), role=role)
    except (jwt.PyJWTError, ValueError) as exc:
        raise InvalidToken(str(exc)) from exc


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """A salted scrypt hash, stored as `scrypt$<salt hex>$<hash hex>`."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """True if `password` matches a hash made by `hash_password` (constant-time comparison)."""
    try:
        scheme, salt_hex, _ = stored.split("$")
    except ValueError:
        return False
    return scheme == "scrypt" and hmac.compare_digest(hash_password(password, salt=bytes.fromhex(salt_hex)), stored)
