"""knowledge_base.text: normalisation shared by queries and passages."""
import pytest

from knowledge_base.text import MAX_QUERY_CHARS, convert_numerals, has_chinese, normalize, to_simplified


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("失業保險金標準是多少？", "失业保险金标准是多少"),
        ("ＡＢＣ　３０％", "abc 30%"),
        ("三十人以下的企业裁员率百分之二十", "30人以下的企业裁员率20%"),
        ("裁员率不高于百分之五点五", "裁员率不高于5.5%"),
        ("二零二一年八月三十一号", "2021年8月31号"),
        ("一次性补贴，一对一服务", "一次性补贴 一对一服务"),
        ("至 2021 年 8 月 31 日", "至2021年8月31日"),
        ("稳岗返还😀👍！！", "稳岗返还"),
        ("😀😀🎉", ""),
        ("   \t\n ", ""),
        ("", ""),
        (None, ""),
        ("What is this?", "what is this"),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_long_input_is_cut_before_work():
    text = "失业保险金" * 5000  # 25,000 characters
    out = normalize(text)
    assert len(out) == MAX_QUERY_CHARS
    assert out.startswith("失业保险金")


def test_max_chars_zero_keeps_everything():
    assert len(normalize("失" * 1000, max_chars=0)) == 1000


def test_to_simplified_leaves_simplified_alone():
    assert to_simplified("稳岗返还") == "稳岗返还"
    assert to_simplified("臺灣") == "台湾"


def test_convert_numerals_only_before_units():
    assert convert_numerals("缴费满十年") == "缴费满10年"
    assert convert_numerals("统一") == "统一"


def test_has_chinese():
    assert has_chinese("abc 失业")
    assert not has_chinese("abc 123")
