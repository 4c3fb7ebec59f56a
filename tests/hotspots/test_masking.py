"""Personal data is masked before storage; policy figures are not.
Run: .venv/bin/python -m pytest -q tests/hotspots/test_masking.py"""
from __future__ import annotations

import pytest

from bot.hotspots.masking import mask_personal_data, normalise_question


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # mobile numbers, with and without country code and separators
        ("我的手机13812345678", "我的手机[手机号]"),
        ("电话+86 138 1234 5678找我", "电话[手机号]找我"),
        ("+8613812345678", "[手机号]"),
        ("008613812345678", "[手机号]"),
        ("86-139-0000-1111", "[手机号]"),
        ("１３８１２３４５６７８", "[手机号]"),
        # landlines with area code, or announced by the words around them
        ("座机0411-84567890", "座机[电话]"),
        ("(0411)84567890", "[电话]"),
        ("（0411）8456789", "[电话]"),
        ("0411 8765 4321", "[电话]"),
        ("+86-411-84567890", "[电话]"),
        ("拨打84567890", "拨打[电话]"),
        ("我的电话是 8456-7890", "我的电话是 [电话]"),
        # 18-digit ID numbers, check character X included
        ("身份证210202199001011234", "身份证[身份证号]"),
        ("21020219900101123X", "[身份证号]"),
        ("21020219900101123x号", "[身份证号]号"),
        ("２１０２０２１９９００１０１１２３Ｘ", "[身份证号]"),
        # bank cards, 16-19 digits, grouped or not
        ("卡号6222021234567890123", "卡号[银行卡号]"),
        ("6222 0212 3456 7890", "[银行卡号]"),
        ("6222-0212-3456-7890-12", "[银行卡号]"),
        ("4367421234567890", "[银行卡号]"),
        ("邮箱 zhang.san@qq.com", "邮箱 [邮箱]"),
    ],
)
def test_personal_data_is_masked(text, masked):
    assert mask_personal_data(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "单位缴费费率不高于5.5%",
        "2021年8月31日前有效",
        "每人补贴3000元",
        "大人社发[2020]38号第4条",
        "打12333咨询",
        "裁员率不超过20%，30人以下企业不超过参保职工总数的20%",
        "2020年1月1日至2021年6月30日",
        "补贴标准为每课时15元，每人每年最高1200元",
        "20200101到20211231",
        "员工1234567人",
        "第一次领取3个月，最长24个月",
    ],
)
def test_policy_figures_are_kept(text):
    assert mask_personal_data(text) == text


def test_payloads_other_than_numbers_are_stored_verbatim():
    for payload in ("<script>alert('x')</script>", "'; DROP TABLE turns; --", "\" OR 1=1 --"):
        assert mask_personal_data(payload) == payload


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("您好，请问失业保险金怎么领？", "失业保险金怎么领"),
        ("失业保险金 怎么领吗？？", "失业保险金怎么领"),
        ("我电话13812345678失业金怎么领", "我电话13900001111失业金怎么领"),
    ],
)
def test_wordings_that_differ_only_in_noise_share_one_key(a, b):
    assert normalise_question(mask_personal_data(a)) == normalise_question(mask_personal_data(b))


def test_different_kinds_of_data_stay_apart():
    assert normalise_question("[手机号]") != normalise_question("[身份证号]")
