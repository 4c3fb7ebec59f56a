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


# What a probe found stored raw (issue 17, finding 11), and its neighbours.
@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # 15-digit ID numbers (issued before 1999), bare and grouped
        ("身份证210202900101123", "身份证[身份证号]"),
        ("老身份证号 210202 900101 123 还能用吗", "老身份证号 [身份证号] 还能用吗"),
        # 18-digit ID written in groups (was "[银行卡号]X")
        ("210202 19900101 123X", "[身份证号]"),
        ("身份证210202-1990-0101-1234", "身份证[身份证号]"),
        ("2102 0219 9001 0112 3X", "[身份证号]"),
        # phone numbers in Chinese numerals, 幺 for one as said on the phone
        ("我手机一三九一二三四五六七八，请回电", "我手机[手机号]，请回电"),
        ("电话幺三八 幺二三四 五六七八", "电话[手机号]"),
        ("一三九1234五六七八", "[手机号]"),
        ("座机八四五六七八九〇", "座机[电话]"),
        ("身份证号二一〇二〇二一九九〇〇一〇一一二三四", "身份证号[身份证号]"),
        # passports and permits, with or without the word
        ("护照E12345678过期了", "护照[护照号]过期了"),
        ("护照号码：EA1234567", "护照号码：[护照号]"),
        ("我的港澳通行证号C12345678", "我的港澳通行证号[护照号]"),
        ("G12345678补办", "[护照号]补办"),
        # social-security card numbers (a card number of its own, or the ID number)
        ("社保卡号A12345678丢了", "社保卡号[社保卡号]丢了"),
        ("社会保障卡号是 L1234 5678", "社会保障卡号是 [社保卡号]"),
        ("医保卡号 2102001234567", "医保卡号 [社保卡号]"),
        ("我的社保卡号是210202199001011234", "我的社保卡号是[身份证号]"),
        # names after 我叫 / 我的名字是 / 本人叫
        ("我叫张三，想问失业金", "我叫[姓名]，想问失业金"),
        ("我叫王小明想问稳岗返还", "我叫[姓名]想问稳岗返还"),
        ("你好我叫李想", "你好我叫[姓名]"),
        ("我的名字是欧阳娜娜，今年失业了", "我的名字是[姓名]，今年失业了"),
        ("本人叫赵四在大连工作", "本人叫[姓名]在大连工作"),
        # home addresses after 住在 / 家住 / 住址
        ("住在甘井子区红旗西路12号3单元，失业金怎么领", "住在[地址]，失业金怎么领"),
        ("家住沙河口区西安路88号2栋301室", "家住[地址]"),
        ("我住在金州区友谊街道幸福村，能领补贴吗", "我住在[地址]，能领补贴吗"),
        ("住址：中山区人民路5号", "住址：[地址]"),
        # all at once
        ("我叫张三住在西岗区五四路1号电话一三九一二三四五六七八",
         "我叫[姓名]住在[地址]电话[手机号]"),
    ],
)
def test_what_the_probe_found_raw_is_masked(text, masked):
    assert mask_personal_data(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "住在外地能领失业金吗",
        "社保卡怎么办理",
        "护照丢了怎么办",
        "辽财指经二零二零八零零三号文件说的奖补资金怎么用",
        "二〇二〇年第一二三条",
        "第十四条 失业保险金标准提高到最低工资标准的90%",
    ],
)
def test_questions_without_those_data_keep_their_words(text):
    assert mask_personal_data(text) == text


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
