"""Access codes are stored under a keyed hash: the database alone does not give them away."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from sqlalchemy import select

from odr.cases.models import Case
from odr.security import access_codes
from odr.security.production import InsecureSettings, check_production


@pytest.fixture
def stored(factory, file_complaint):  # type: ignore[no-untyped-def]
    """(number, code, stored hash) of a case filed through the form."""
    number, code = file_complaint()
    with factory() as session:
        digest = session.scalar(select(Case.access_code_hash).where(Case.number == number))
    return number, code, digest


def test_a_stored_code_is_keyed_not_a_plain_salted_hash(stored, settings):
    _, code, digest = stored
    scheme, salt, mac = digest.split("$")
    assert scheme == "hmac-sha256"
    # What a thief with the database could try for every code of the alphabet:
    assert mac != hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()
    assert access_codes.verify_code(digest, code)
    assert access_codes.verify_code(digest, f"  {code.lower()} ")  # typed by hand

    try:  # another deployment's key (a stolen copy without ours) does not verify it
        access_codes.use_key(replace(settings, access_code_key="another key " * 4))
        assert not access_codes.verify_code(digest, code)
    finally:
        access_codes.use_key(settings)


def test_codes_stored_before_the_key_still_open_their_case(stored, factory, client):
    number, code, _ = stored
    salt = "0123456789abcdef"
    legacy = f"{salt}${hashlib.sha256(f'{salt}:{code}'.encode()).hexdigest()}"
    with factory.begin() as session:
        session.scalar(select(Case).where(Case.number == number)).access_code_hash = legacy
    assert client.post("/track", {"number": number, "access_code": "WRONGCODE1"}).status_code == 400
    opened = client.post("/track", {"number": number, "access_code": code})
    assert opened.status_code == 200 and str(opened.url).endswith(f"/track/{number}")


def test_production_refuses_a_short_access_code_key(settings):
    strong = "s" * 40
    check_production(replace(settings, environment="production", secret_key=strong))
    with pytest.raises(InsecureSettings, match="ODR_ACCESS_CODE_KEY"):
        check_production(
            replace(settings, environment="production", secret_key=strong, access_code_key="x")
        )
