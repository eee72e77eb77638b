"""Bearer tokens shared by every service: signed (HS256) with one shared secret, verified locally by each service.

Two kinds (ADR 002, ADR 004):
- person tokens: issued by the CRM at sign-in for a customer or an operator; no audience, valid for hours;
- service tokens: issued by a service for one call to another (`aud` = the called service), valid for a
  minute, optionally acting for an account (and naming the order the call is about).

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
from typing import Any, Literal

import jwt
from jwt.types import Options

Role = Literal["customer", "operator"]
ALGORITHM = "HS256"
SERVICE_PREFIX = "service:"
SERVICE_TOKEN_TTL = 60
# The longest service token a verifier accepts: a leaked one must not be good for hours, whoever signed it.
MAX_SERVICE_TOKEN_TTL = 300
# Clock skew tolerated between the signing and the verifying host (matters for one-minute tokens).
LEEWAY_SECONDS = 5


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


@dataclass(frozen=True)
class ServicePrincipal:
    """A service calling another: its name, the account it acts for (if any) and the order the call is about."""

    service: str
    acting_for: uuid.UUID | None
    order_id: uuid.UUID | None = None


def issue_token(secret: str, principal: Principal, ttl_seconds: int = 12 * 3600) -> str:
    """A signed token for `principal`, valid for `ttl_seconds`."""
    now = int(time.time())
    claims = {"sub": str(principal.account_id), "role": principal.role, "iat": now, "exp": now + ttl_seconds}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(secret: str, token: str) -> Principal:
    """The person a token was issued to; InvalidToken with the reason otherwise (a service token included:
    it carries an audience, and PyJWT refuses any audience when none is expected)."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "role", "exp"]})
        return _person(claims)
    except (jwt.PyJWTError, ValueError) as exc:
        raise InvalidToken(str(exc)) from exc


def issue_service_token(
    secret: str,
    *,
    service: str,
    audience: str,
    acting_for: uuid.UUID | None = None,
    order_id: uuid.UUID | None = None,
    ttl_seconds: int = SERVICE_TOKEN_TTL,
) -> str:
    """A token for one call of `service` to the service `audience`, acting for an account if given."""
    now = int(time.time())
    claims: dict[str, Any] = {"sub": SERVICE_PREFIX + service, "aud": audience, "iat": now, "exp": now + ttl_seconds}
    # `for`, not RFC 8693's `act`: there `act` names the actor (here the service, already in `sub`).
    if acting_for is not None:
        claims["for"] = str(acting_for)
    if order_id is not None:
        claims["order"] = str(order_id)
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_service_token(secret: str, token: str, *, audience: str) -> ServicePrincipal:
    """The service a token was issued to for calls to `audience`; InvalidToken with the reason otherwise."""
    try:
        return _service(_decode(secret, token, audience=audience))
    except (jwt.PyJWTError, ValueError) as exc:
        raise InvalidToken(str(exc)) from exc


def verify_caller(secret: str, token: str, *, audience: str) -> Principal | ServicePrincipal:
    """A person (token without audience) or a service (token for `audience`), for services both may call."""
    try:
        claims = _decode(secret, token, audience=None)
        if "aud" not in claims:
            return _person(claims)
        # Checked again by PyJWT against `audience`, so the audience rule is PyJWT's own, not a copy of it.
        return _service(_decode(secret, token, audience=audience))
    except (jwt.PyJWTError, ValueError) as exc:
        raise InvalidToken(str(exc)) from exc


def _decode(secret: str, token: str, *, audience: str | None) -> dict[str, Any]:
    # Only HS256: `alg: none` and any other algorithm are refused before the signature is even looked at.
    options: Options = {"require": ["sub", "exp"], "verify_aud": audience is not None}
    claims: dict[str, Any] = jwt.decode(
        token, secret, algorithms=[ALGORITHM], audience=audience, options=options, leeway=LEEWAY_SECONDS
    )
    return claims


def _person(claims: dict[str, Any]) -> Principal:
    for claim in ("role", "exp"):
        if claim not in claims:
            raise InvalidToken(f'Token is missing the "{claim}" claim')
    role = claims["role"]
    if role not in ("customer", "operator"):
        raise InvalidToken(f"unknown role {role!r}")
    return Principal(account_id=uuid.UUID(claims["sub"]), role=role)


def _service(claims: dict[str, Any]) -> ServicePrincipal:
    subject = str(claims["sub"])
    if not subject.startswith(SERVICE_PREFIX) or subject == SERVICE_PREFIX:
        raise InvalidToken(f"a service token's subject names a service ({SERVICE_PREFIX}<name>), not {subject!r}")
    if "iat" not in claims or int(claims["exp"]) - int(claims["iat"]) > MAX_SERVICE_TOKEN_TTL:
        raise InvalidToken(f"a service token's lifetime must be stated (iat) and at most {MAX_SERVICE_TOKEN_TTL}s")
    acting_for, order_id = claims.get("for"), claims.get("order")
    return ServicePrincipal(
        service=subject.removeprefix(SERVICE_PREFIX),
        acting_for=uuid.UUID(acting_for) if acting_for is not None else None,
        order_id=uuid.UUID(order_id) if order_id is not None else None,
    )


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
