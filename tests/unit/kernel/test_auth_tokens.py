"""Customer/operator tokens and service tokens: what each verifier accepts, and every way a token is refused."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt
import pytest

from system.kernel.auth import (
    InvalidToken,
    Principal,
    ServicePrincipal,
    issue_service_token,
    issue_token,
    verify_caller,
    verify_service_token,
    verify_token,
)

SECRET = "unit-secret-" + "s" * 32
ACCOUNT = uuid.uuid4()


def service_token(**overrides: object) -> str:
    args: dict[str, object] = {"service": "crm", "audience": "files", "acting_for": ACCOUNT}
    return issue_service_token(SECRET, **{**args, **overrides})  # type: ignore[arg-type]


def tampered(token: str, **claims: object) -> str:
    """The same header and signature over a payload with `claims` changed."""
    header, payload, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    changed = base64.urlsafe_b64encode(json.dumps({**decoded, **claims}).encode()).rstrip(b"=").decode()
    return f"{header}.{changed}.{signature}"


def test_a_service_token_names_the_service_the_audience_and_whom_it_acts_for() -> None:
    order = uuid.uuid4()
    caller = verify_service_token(SECRET, service_token(order_id=order), audience="files")
    assert caller == ServicePrincipal(service="crm", acting_for=ACCOUNT, order_id=order)
    claims = jwt.decode(service_token(), SECRET, algorithms=["HS256"], audience="files")
    assert claims["sub"] == "service:crm" and claims["aud"] == "files"
    assert claims["exp"] - claims["iat"] == 60, "short-lived by default"


def test_a_service_token_may_act_for_nobody() -> None:
    caller = verify_service_token(SECRET, service_token(acting_for=None), audience="files")
    assert caller.acting_for is None and caller.order_id is None


def test_a_service_token_for_another_audience_is_refused() -> None:
    with pytest.raises(InvalidToken, match=r"(?i)audience"):
        verify_service_token(SECRET, service_token(audience="mes"), audience="files")


def test_a_service_token_is_refused_where_a_customer_token_is_expected() -> None:
    with pytest.raises(InvalidToken):
        verify_token(SECRET, service_token())
    # Even one that also claims a role: PyJWT refuses a token carrying `aud` when the verifier names no
    # audience, so CRM and MES (which verify person tokens) never accept a token minted for another service.
    now = int(time.time())
    claims = {"sub": str(ACCOUNT), "role": "customer", "aud": "crm", "iat": now, "exp": now + 60}
    with pytest.raises(InvalidToken, match=r"(?i)audience"):
        verify_token(SECRET, jwt.encode(claims, SECRET, algorithm="HS256"))


def test_a_customer_token_is_refused_where_a_service_token_is_expected() -> None:
    customer = issue_token(SECRET, Principal(ACCOUNT, "customer"))
    with pytest.raises(InvalidToken):
        verify_service_token(SECRET, customer, audience="files")


def test_customer_and_operator_tokens_work_unchanged() -> None:
    for role in ("customer", "operator"):
        principal = Principal(ACCOUNT, role)  # type: ignore[arg-type]
        assert verify_token(SECRET, issue_token(SECRET, principal)) == principal


def test_verify_caller_tells_a_person_from_a_service() -> None:
    person = Principal(ACCOUNT, "customer")
    assert verify_caller(SECRET, issue_token(SECRET, person), audience="files") == person
    assert verify_caller(SECRET, service_token(), audience="files") == ServicePrincipal("crm", ACCOUNT, None)
    with pytest.raises(InvalidToken, match=r"(?i)audience"):
        verify_caller(SECRET, service_token(audience="mes"), audience="files")


@pytest.mark.parametrize("verify", ["token", "service", "caller"])
def test_expired_wrong_secret_alg_none_and_tampered_tokens_are_refused(verify: str) -> None:
    now = int(time.time())
    if verify == "token":
        good = issue_token(SECRET, Principal(ACCOUNT, "customer"))
        expired = issue_token(SECRET, Principal(ACCOUNT, "customer"), ttl_seconds=-30)
        unsigned = jwt.encode({"sub": str(ACCOUNT), "role": "operator", "exp": now + 60}, None, algorithm="none")
    else:
        good = service_token()
        expired = service_token(ttl_seconds=-30)
        claims = {"sub": "service:crm", "aud": "files", "for": str(ACCOUNT), "iat": now, "exp": now + 60}
        unsigned = jwt.encode(claims, None, algorithm="none")
    forged = issue_token("another-secret-" + "x" * 32, Principal(ACCOUNT, "operator"))
    other_account = tampered(good, **({"role": "operator"} if verify == "token" else {"for": str(uuid.uuid4())}))

    def check(token: str) -> object:
        if verify == "token":
            return verify_token(SECRET, token)
        if verify == "service":
            return verify_service_token(SECRET, token, audience="files")
        return verify_caller(SECRET, token, audience="files")

    assert check(good)
    for token, reason in [
        (expired, "expired"),
        (forged, "verification failed"),
        (unsigned, "alg value is not allowed"),
        (other_account, "verification failed"),
        ("not.a.token", None),
        ("", None),
    ]:
        with pytest.raises(InvalidToken, match=reason):
            check(token)


def test_a_service_token_must_name_a_service() -> None:
    now = int(time.time())
    claims = {"sub": str(ACCOUNT), "aud": "files", "iat": now, "exp": now + 60}
    with pytest.raises(InvalidToken, match="service"):
        verify_service_token(SECRET, jwt.encode(claims, SECRET, algorithm="HS256"), audience="files")


def test_a_long_lived_service_token_is_refused() -> None:
    # A leaked service token must not be good for hours: the verifier caps the lifetime it accepts.
    with pytest.raises(InvalidToken, match="lifetime"):
        verify_service_token(SECRET, service_token(ttl_seconds=3600), audience="files")
