"""Webhook signature checks: right answers, and never an exception."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from mlkwatch.client import sign, verify_signature

SECRET = "whsec_test_secret"
BODY = b'{"id":"evt_1","type":"run.failed","data":{}}'


def test_sign_is_hex_hmac_sha256() -> None:
    expected = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert sign(BODY, SECRET) == expected


def test_a_valid_signature_verifies_in_either_case() -> None:
    signature = sign(BODY, SECRET)
    assert verify_signature(BODY, signature, SECRET)
    assert verify_signature(BODY, signature.upper(), SECRET)


def test_a_changed_body_secret_or_signature_fails() -> None:
    signature = sign(BODY, SECRET)
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    assert not verify_signature(BODY + b" ", signature, SECRET)
    assert not verify_signature(BODY, signature, SECRET + "x")
    assert not verify_signature(BODY, flipped, SECRET)


def test_malformed_signatures_are_mismatches() -> None:
    good = sign(BODY, SECRET)
    for signature in ("", good[:-1], good + "0", "g" * 64, "é" * 64, "\x00" * 64):
        assert not verify_signature(BODY, signature, SECRET)


def test_wrong_argument_types_are_mismatches() -> None:
    assert not verify_signature(BODY, None, SECRET)  # type: ignore[arg-type]
    # Callers without type checking may pass the wrong types: still False.
    wrong_body: Any = BODY.decode()
    wrong_secret: Any = b"x"
    assert not verify_signature(wrong_body, sign(BODY, SECRET), SECRET)
    assert not verify_signature(BODY, sign(BODY, SECRET), wrong_secret)


@given(body=st.binary(), secret=st.text())
def test_own_signature_always_verifies(body: bytes, secret: str) -> None:
    try:
        signature = sign(body, secret)
    except UnicodeEncodeError:  # lone surrogates have no UTF-8 form
        assert not verify_signature(body, "0" * 64, secret)
        return
    assert verify_signature(body, signature, secret)


@given(body=st.binary(), signature=st.text(), secret=st.text())
def test_arbitrary_input_never_raises(body: bytes, signature: str, secret: str) -> None:
    result = verify_signature(body, signature, secret)
    assert result is False or signature.strip().lower() == sign(body, secret)
