"""knowledge_base.lexicon: the data files parse and malformed lines are reported."""
import pytest

from knowledge_base.lexicon import Lexicon, LexiconError, Tokenizer


def test_files_load(lexicon):
    assert "稳岗返还" in lexicon.userdict
    assert any("失业金" in r.variants and "失业保险金" in r.targets for r in lexicon.synonyms)
    assert "养老保险" in lexicon.out_of_scope
    assert len(lexicon.article_questions["dalian-hrss-2020-38"]) == 20


def test_bidirectional_synonyms_apply_both_ways(lexicon):
    forward = any("农民工" in r.variants and "外来务工" in r.targets for r in lexicon.synonyms)
    backward = any("外来务工" in r.variants and "农民工" in r.targets for r in lexicon.synonyms)
    assert forward and backward


def test_malformed_synonym_line_names_the_entry(tmp_path, lexicon):
    for name in ("userdict.txt", "stopwords.txt", "out_of_scope.tsv", "article_questions.yaml"):
        (tmp_path / name).write_text("", encoding="utf-8")
    (tmp_path / "synonyms.tsv").write_text("失业金 失业保险金\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="synonyms.tsv: entry 1"):
        Lexicon.load(tmp_path)


def test_tokenizer_uses_user_dictionary(lexicon):
    tokenizer = Tokenizer(lexicon)
    with pytest.raises(RuntimeError, match="warm_up"):
        tokenizer.tokenize("稳岗返还")
    tokenizer.warm_up()
    tokens = tokenizer.tokenize("稳岗返还的裁员率")
    assert "稳岗返还" in tokens and "裁员率" in tokens
    assert "的" not in tokens
