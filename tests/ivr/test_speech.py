"""Answers rewritten for the ear. Run: .venv/bin/python -m pytest -q tests/ivr/test_speech.py"""
import pytest

from bot.core.messages import say
from ivr.speech import SPEECH_MAX_CHARS, digits_one_by_one, for_ear, read_aloud, shorten, strip_markup

SPOKEN_MORE_INFO = "详细内容可关注大连人社一二三三三公众号。"


@pytest.mark.parametrize(
    "written, spoken",
    [
        ("裁员率标准放宽到不高于 5.5%", "裁员率标准放宽到不高于百分之五点五"),
        ("按300元/人的标准给予补助", "按每人三百元的标准给予补助"),
        ("给予不超过500元/人的补贴", "给予不超过每人五百元的补贴"),
        ("至2021年8月31日", "至二零二一年八月三十一日"),
        ("失业保险继续执行总费率为 1%的阶段性降低费率政策至 2021 年 8 月 31 日", "失业保险继续执行总费率为百分之一的阶段性降低费率政策至二零二一年八月三十一日"),
        ("计算：3/28 ≈ 10.7% ≤ 20%", "计算：三除以二十八约等于百分之十点七，不超过百分之二十"),
        ("裁员率 4/100 = 4% ≥ 3.62%", "裁员率四除以一百等于百分之四，不少于百分之三点六二"),
        ("裁员率须低于 3.62%，本例 5% > 3.62%", "裁员率须低于百分之三点六二，本例百分之五，高于百分之三点六二"),
        ("对 30 人（含）以下的参保企业", "对三十人含以下的参保企业"),
        ("按每人每课时（不少于45分钟）10元的标准", "按每人每课时，不少于四十五分钟，十元的标准"),
        ("累计缴费满1年不足10年的", "累计缴费满一年不足十年的"),
        ("原则上不超过1年", "原则上不超过一年"),
        ("3至6个月的短期公益性岗位", "三至六个月的短期公益性岗位"),
        ("3-6个月", "三至六个月"),
        ("每人每年补贴上限不得超过1,000元", "每人每年补贴上限不得超过一千元"),
        ("2018年毕业的非大连生源", "二零一八年毕业的非大连生源"),
        ("有效期至 2021-08-31。", "有效期至二零二一年八月三十一日。"),
        ("请拨打12333咨询", "请拨打一二三三三咨询"),
        ("咨询电话 0411-12345678", "咨询电话零四一一一二三四五六七八"),
        ("依据大人社发[2020]38号第4条", "依据大人社发二零二零年第三十八号第四条"),
        ("国统字〔2017〕213号", "国统字二零一七年第二百一十三号"),
        ("“一对一”工作机制", "一对一工作机制"),
        ("《关于印发〈统计上大中小微型企业划分办法〉的通知》", "关于印发统计上大中小微型企业划分办法的通知"),
        ("发放标准为 50000元", "发放标准为五万元"),
        ("不高于5.5％", "不高于百分之五点五"),
    ],
)
def test_numbers_and_symbols_are_read_aloud(written, spoken):
    assert read_aloud(written) == spoken


@pytest.mark.parametrize(
    "written, spoken",
    [
        ("**稳岗返还**：不高于 5.5%", "稳岗返还：不高于百分之五点五。"),
        ("## 标准\n- 中小微企业：不高于5.5%\n- 其他企业：低于3.62%", "标准。中小微企业：不高于百分之五点五。其他企业：低于百分之三点六二。"),
        ("点 [这里](https://example.com/a) 查看", "点这里查看。" + SPOKEN_MORE_INFO),
        ("可以申请 👍🎉", "可以申请。"),
        ("<b>注意</b>：`疫情防控期间`", "注意：疫情防控期间。"),
        ("详见 https://www.dl-hr.com 。", SPOKEN_MORE_INFO),
        ("在大连人力资源市场网（<http://www.dl-hr.com>）开辟专区", "在大连人力资源市场网开辟专区。" + SPOKEN_MORE_INFO),
        ("网址：www.dl-hr.com，欢迎访问", "欢迎访问。" + SPOKEN_MORE_INFO),
        ("（四）扩大稳岗返还政策范围", "四，扩大稳岗返还政策范围。"),
        ("见第（四）条", "见第四条。"),
        ("", ""),
        ("   \n ", ""),
    ],
)
def test_answers_lose_markup_urls_emoji_and_brackets(written, spoken):
    assert for_ear(written) == spoken


def test_nothing_unspeakable_is_left():
    text = for_ear(
        "【依据】大人社发[2020]38号（四）：“裁员率≤5.5%”，300元/人；详见<https://a.example/b?c=1>😀 # 完"
    )
    for char in "【】[]（）()“”<>#%/≤😀":
        assert char not in text
    assert "http" not in text and "www" not in text
    assert not any(ch.isdigit() for ch in text)


@pytest.mark.parametrize(
    "text, limit, expected, cut",
    [
        ("短句。", 10, "短句。", False),
        ("第一句话。第二句话。第三句话。", 10, "第一句话。第二句话。", True),
        ("第一句话。第二句话。第三句话。", 12, "第一句话。第二句话。", True),
        ("一个很长的分句，后面还有一个很长的分句，再后面还有", 12, "一个很长的分句。", True),
        ("没有任何标点符号的一长串文字内容", 8, "没有任何标点符。", True),
    ],
)
def test_shorten_cuts_at_a_sentence_boundary(text, limit, expected, cut):
    assert shorten(text, limit) == (expected, cut)


def test_shorten_rejects_a_non_positive_limit():
    with pytest.raises(ValueError, match="max_chars must be positive, got 0"):
        shorten("文字。", 0)


def test_a_long_answer_fits_in_about_forty_seconds_and_points_to_wechat():
    sentence = "疫情防控期间，对不裁员或少裁员的参保中小微企业申请稳岗返还时，裁员率标准放宽到不高于5.5%。"
    spoken = for_ear(sentence * 8)
    assert spoken.endswith(SPOKEN_MORE_INFO)
    body = spoken[: -len(SPOKEN_MORE_INFO)]
    assert len(body) <= SPEECH_MAX_CHARS
    assert body.endswith("。") and body.count("稳岗返还") >= 2
    # 4–5 characters a second: the whole message stays around 40 seconds
    assert len(spoken) / 4.5 <= 45


def test_a_short_answer_is_not_cut_and_gets_no_pointer():
    assert for_ear("失业金标准上调至90%") == "失业金标准上调至百分之九十。"


def test_the_pointer_itself_reads_the_hotline_digit_by_digit():
    assert read_aloud(say("ivr_more_info")) == SPOKEN_MORE_INFO


def test_strip_markup_reports_a_removed_link():
    assert strip_markup("见 http://x.cn") == ("见 ", True)
    assert strip_markup("无链接") == ("无链接", False)


def test_digits_one_by_one():
    assert digits_one_by_one("12333") == "一二三三三"
    assert digits_one_by_one("0411-8") == "零四一一八"
