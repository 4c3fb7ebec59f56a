"""knowledge_base.query.QueryAnalyzer: homophone repair, synonyms, topics."""
import pytest

from knowledge_base.query import QueryAnalyzer, fuzzy_syllable


class TestQueryAnalyzer:
    def test_defaults(self):
        analyzer = QueryAnalyzer()
        assert analyzer.pinyin_repair is True
        assert analyzer.max_chars > 0

    def test_bad_params(self):
        with pytest.raises(ValueError, match="max_chars must be greater than 0"):
            QueryAnalyzer(max_chars=0)

    def test_run_before_warm_up(self):
        with pytest.raises(RuntimeError, match="warm_up"):
            QueryAnalyzer().run("稳岗返还")

    def test_a_repeated_question_reuses_its_analysis_only_when_asked_to(self, lexicon):
        cached = QueryAnalyzer(lexicon, cache_size=2)
        cached.warm_up()
        assert cached.analyze("失业进能领多少") is cached.analyze("失业进能领多少")
        for text in ("稳岗返还", "培训补贴"):  # two more: the first is dropped
            cached.analyze(text)
        assert len(cached._analyses) == 2
        fresh = QueryAnalyzer(lexicon)  # the default keeps nothing, as benchmarks want
        fresh.warm_up()
        first = fresh.analyze("失业进能领多少")
        assert first == fresh.analyze("失业进能领多少") and first is not fresh.analyze("失业进能领多少")

    @pytest.mark.parametrize(
        ("heard", "meant"),
        [("失业进能领多少", "失业金"), ("稳刚返还怎么申请", "稳岗返还"), ("农名工返乡", "农民工"), ("公益行岗位", "公益性岗位")],
    )
    def test_homophones_of_domain_terms_are_repaired(self, analyzer, heard, meant):
        query = analyzer.run(heard)["query"]
        assert meant in query.text
        assert query.corrections

    def test_real_words_are_not_repaired(self, analyzer):
        assert analyzer.analyze("实业公司招人").text == "实业公司招人"

    def test_repair_can_be_switched_off(self, lexicon):
        analyzer = QueryAnalyzer(lexicon, pinyin_repair=False)
        analyzer.warm_up()
        assert analyzer.analyze("失业进").text == "失业进"

    def test_synonyms_expand(self, analyzer):
        query = analyzer.analyze("我被辞退了能领失业金吗")
        assert "失业保险金" in query.expansions
        assert "裁员" in query.expansions
        assert "失业保险金" in query.dense_text
        assert "失业保险金" in query.canonical_text

    def test_out_of_scope_topics(self, analyzer):
        assert analyzer.analyze("养老金怎么领").out_of_scope_topics == ("养老保险",)
        assert analyzer.analyze("失业金怎么领").out_of_scope_topics == ()

    def test_empty_and_symbols(self, analyzer):
        for text in ("", "   ", "😀🎉", "？？！！"):
            query = analyzer.analyze(text)
            assert query.empty and query.tokens == ()

    def test_long_input_is_truncated(self, analyzer):
        query = analyzer.analyze("失业金" * 4000)
        assert query.truncated and len(query.text) <= analyzer.max_chars


def test_fuzzy_syllable_merges_accents():
    assert fuzzy_syllable("shi") == fuzzy_syllable("si")
    assert fuzzy_syllable("ning") == fuzzy_syllable("lin")
    assert fuzzy_syllable("zhang") == "zang"
