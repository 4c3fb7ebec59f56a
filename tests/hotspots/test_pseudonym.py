"""Pseudonymous user ids. Run: .venv/bin/python -m pytest -q tests/hotspots/test_pseudonym.py"""
from __future__ import annotations

import hashlib

import pytest

from bot.hotspots.pseudonym import Pseudonymizer, phone_tail


def test_stable_across_instances_and_restarts():
    assert Pseudonymizer("s3cret").user("wechat", "oABC") == Pseudonymizer("s3cret").user("wechat", "oABC")


def test_depends_on_channel_user_and_secret():
    p = Pseudonymizer("s3cret")
    values = {
        p.user("wechat", "oABC"),
        p.user("web", "oABC"),
        p.user("wechat", "oABD"),
        Pseudonymizer("other").user("wechat", "oABC"),
    }
    assert len(values) == 4


def test_not_a_plain_hash_of_the_id():
    value = Pseudonymizer("s3cret").user("ivr", "+8613812345678")
    assert len(value) == 64 and "13812345678" not in value
    assert value != hashlib.sha256(b"ivr\x1f+8613812345678").hexdigest()
    assert value != hashlib.sha256(b"+8613812345678").hexdigest()


def test_phone_formats_share_one_pseudonym():
    p = Pseudonymizer("s3cret")
    assert p.phone("+86 138-1234-5678") == p.phone("13812345678") == p.phone("8613812345678")


def test_empty_secret_is_refused():
    with pytest.raises(ValueError):
        Pseudonymizer("")


@pytest.mark.parametrize(("number", "tail"), [("+8613812345678", "5678"), ("123", ""), ("", "")])
def test_phone_tail(number, tail):
    assert phone_tail(number) == tail
