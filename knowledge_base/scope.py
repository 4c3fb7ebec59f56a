"""What the notice does not cover, for questions that sound as if it did.

    scope = Scope(kb, lexicon)
    scope.missing("失业金最长领几个月")        # "失业保险金的领取期限"  (lexicon/near_miss.tsv)
    scope.missing("以工代训补贴一个月多少")    # "以工代训补贴"          (a programme the notice never names)
    scope.missing("培训补贴每课时多少钱")      # None

Two signals: the near-miss table of the lexicon (questions the notice's measures do not answer),
and programme names: a question that names a subsidy, allowance or loan ("一次性扩岗补助",
"以工代训补贴", "助学贷款") with a word that no document of the knowledge base uses asks about
another programme, while "职业介绍补贴" or "线上培训补贴" only name a measure of the notice in other
words. Retrieval alone would answer both from the nearest article.
"""
from __future__ import annotations

import re

from knowledge_base.lexicon import Lexicon, Tokenizer
from knowledge_base.model import KnowledgeBase

# A programme's name ends with one of these words; up to six characters before it name which one.
_KINDS = "(补贴|补助金|补助|津贴|救助金|贷款|贴息|补偿金)"
_PROGRAMME = re.compile(r"([\u4e00-\u9fff]{1,6})" + _KINDS)
_KIND_AT_END = re.compile(_KINDS + "$")
# The name starts after the last word that cannot be part of it ("给农民工买意外险有补贴": none;
# "每课时一个小时补贴": a quantity, not a name; "那会儿生意不行贷款能延期吗", "培训项目已经补贴过":
# a clause, not a name; "帮我核对失业补助金", "想了解一下稳岗补贴": the ask before it).
_CUT = re.compile(r".*(?:核对|查询|咨询|了解|一下|帮我|请问|想|有|的|给|买|领|拿|申请|发|是|和|与|及|或|个|笔|份|种|那|这|啥|么|能|要|办|问|说|找|算|时|钟|年|月|元|块|课|人|不|没|了|吗|呢|已|过|再|还|都|也)")
# Generic words before a name: "企业一次性吸纳就业补贴" is the notice's 一次性吸纳就业补贴.
_GENERIC = re.compile(r"^(?:企业|单位|公司|个人|职工|员工|大连|市里|国家|政府)+")
MIN_NAME = 4  # characters: a shorter name ("生活补贴") is too general to tell programmes apart
KNOWN_TAIL = 6  # characters: a tail this long that the notice uses (创业担保贷款) is its programme
SPECIFIC_VARIANT = 3  # characters: a synonym this long (意外险) names the notice's term, not a generic word (公司)


class Scope:
    """Knows which programme names the knowledge base uses.

    :param kb: the parsed knowledge base.
    :param lexicon: the domain lexicon (near misses, synonyms).
    """

    def __init__(self, kb: KnowledgeBase, lexicon: Lexicon):
        self.lexicon = lexicon
        self._text = "".join(article.text for _, article in kb.articles())
        self._synonyms = [(rule.variants, rule.targets) for rule in lexicon.synonyms]
        self._tokenizer = Tokenizer(lexicon)

    def warm_up(self) -> None:
        """Load jieba's dictionary now rather than on the first question that names a programme."""
        self._tokenizer.warm_up()

    def missing(self, question: str) -> str | None:
        """What the notice lacks that a (simplified) question asks for, or None."""
        return self.lexicon.near_miss(question) or self.unknown_programme(question)

    def unknown_programme(self, question: str) -> str | None:
        """A programme the question names and no document does, or None."""
        for m in _PROGRAMME.finditer(question):
            head = _GENERIC.sub("", _CUT.sub("", m.group(1)))
            name = head + m.group(2)
            if len(head) < 2 or len(name) < MIN_NAME or self._known(name) or self._known_tail(name):
                continue
            if self._foreign_word(head):
                return name
        return None

    def _known_tail(self, name: str) -> bool:
        """Whether the name ends with a name of the notice as long as KNOWN_TAIL or more: "新冠创业担保贷款"
        (a clause run into the name, "借款人得了新冠 创业担保贷款") is the notice's 创业担保贷款."""
        return any(name[i:] in self._text for i in range(1, len(name) - KNOWN_TAIL + 1))

    def _foreign_word(self, head: str) -> bool:
        """Whether a word of the name's head appears nowhere in the knowledge base (扩岗, 以工代训)."""
        self.warm_up()
        return any(len(word) >= 2 and word not in self._text for word in self._tokenizer.tokenize(head))

    def _known(self, name: str) -> bool:
        """Whether the notice names it, itself or by one of the synonym table's canonical terms."""
        if name in self._text:
            return True
        for variants, targets in self._synonyms:
            for variant in variants:
                if variant not in name:
                    continue
                if any(name.replace(variant, t) in self._text for t in targets):
                    return True
                # "身意外险补贴" (cut from 人身意外险): a specific word for one of the notice's terms, with at
                # most a stray character beside it; "留工培训补助" names another programme (留工).
                rest = _KIND_AT_END.sub("", name.replace(variant, ""))
                if len(variant) >= SPECIFIC_VARIANT and len(rest) < 2 and any(t in self._text for t in targets):
                    return True
        return False
