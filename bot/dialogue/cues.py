"""The words that tell what a message does in the dialogue: ask about one's own case, follow up,
correct, give up on a fact, stop, or ask for a person. One place for each list.

Messages are simplified (traditional → simplified) before they are matched.
"""
from __future__ import annotations

import re

# 转人工 also works without Rasa: the one list of handoff words, for the chat and the IVR alike.
HANDOFF = re.compile(
    r"转人工|人工服务|人工客服|找人工|接人工|转接人工|要人工|人工坐席|人工台|真人|换(?:个|一个)人(?:工|来|跟|和|给|说|吧|吗|$)|话务员|接线员|坐席|找客服|转客服|"
    r"工作人员|回(?:个|一个)?电话|打(?:个)?电话给我|投诉|领导|找(?:个|一个)?人(?:跟|和|给|来|问)|(?:人工|客服)(?:吧|啊|呢)?$|"
    r"real person|human|agent|operator|speak to (?:someone|somebody)|talk to (?:someone|somebody)|transfer (?:me )?to",
    re.IGNORECASE,
)

# "我想问…" only introduces a question: it says nothing about the asker's own case.
_INTRO = re.compile(r"(?:我|俺)(?:想|要|就想|只想|能|可以)?(?:问|了解|知道|咨询|打听|请教)(?:一下|下|问)?|请问")
_ASKER = (
    r"(?:我|俺|咱|本人|我们|我家|我司|本公司|本单位|我公司|我单位|我厂|我店|我儿子|我女儿|我闺女|我孩子|我老公|我爱人|"
    r"我媳妇|我老伴|我妈|我爸|我哥|我姐|我弟|我妹|我朋友|我同学)"
)
_ELIGIBLE = (
    r"(?:能不能|能否|可不可以|可以|能|够不够|够|符合|符不符合|算不算|算|有没有(?:资格|份)|有资格|有份|行不行|"
    r"领得到|拿得到|可否|是否|给多少|领多少|拿多少|发多少|按多少|按什么|按啥|什么标准|啥标准|能拿|能领|领什么|拿什么|"
    r"享受|适用|有(?:那|这)|延长了?吗|有(?:没有)?[^，,。]{0,6}补(?:贴|帖|助)(?:吗|没|不))"
)
# "我们公司能申请吗", "我交了5年能领多少": the user asks about their own case.
OWN_CASE = re.compile(rf"{_ASKER}[^。？?！!]{{0,80}}?{_ELIGIBLE}|帮(?:我|我们)(?:核对|查|算|看|核|测)|我的情况|我们的情况")
# With facts stated, any ask for eligibility is about that case ("公司30个人裁了6个，还能领吗").
ELIGIBILITY_ASK = re.compile(
    r"能不能|能否|可不可以|可以|能(?:领|拿|申请|享受|返)|够不够|符合|算不算|有资格|有份|有(?:那|这)|行吗|行不|够吗|适用|"
    r"有(?:没有)?[^，,。]{0,6}补(?:贴|帖|助)(?:吗|没|不)|"
    r"qualify|eligible|(?<![a-z])ok(?![a-z])",
    re.IGNORECASE,
)
# A question word: a message with facts and none of these is a statement of one's case.
QUESTION = re.compile(
    r"多少|几|怎么|如何|什么|啥|哪(?!怕)|是否|有没有|多久|多长|标准|规定|政策|条件|吗|嘛|么[？?]?$|呢|？|\?|"
    r"能不能|可不可以|行不行|[能行可][^，,。]{0,6}不[？?]?$"  # "我能把他辞了不": asked by A-not-A
)
# A message that ends as a question ("…标准是多少？", "…吗").
ASKS_BACK = re.compile(r"[？?]|[吗嘛呢]$|多少|怎么|什么")
# "那要是裁了7个呢", "如果交满10年呢": change a fact of the last check and judge again.
WHAT_IF = re.compile(r"^(?:(?:ok|okay|好的?|嗯|哦)[，,.\s]*)?(?:那|那么|那如果|如果|要是|假如|假设|换成|改成|万一|what about|how about|what if|and if|if(?![a-z]))"
                     r"|(?:的话|呢|instead)[？?。]?$", re.IGNORECASE)
# "那一共能拿多少": the total of the verdict just given, asked again
TOTAL = re.compile(r"一共|总共|合计|加起来|总的|in total|altogether", re.IGNORECASE)
# "好 谢谢 拜拜": thanks or goodbye and nothing more
THANKS_BYE = re.compile(r"^(?=.*(?:谢|拜拜|再见|bye|thank))(?:(?:好的?|行|嗯|哦|ok|okay)[，,.\s]*)?(?:(?:谢谢|多谢|感谢|thanks|thank you)(?:你|您|啦|了)?[，,.\s]*)?"
                        r"(?:拜拜|再见|bye)?[。！!~～.\s]*$", re.IGNORECASE)
# Words that make a count the head count ("参保职工37人"), not a bare number
HEAD_COUNT = re.compile(r"职工|员工|参保|人数|总共|一共|公司|单位|企业|staff|employees|headcount", re.IGNORECASE)
BYE = re.compile(r"拜拜|再见|bye", re.IGNORECASE)
# "那要多久", "这个呢", "它的标准": a follow-up that names no topic.
FOLLOW_UP = re.compile(r"^(?:那|那么|这个|那个|它|这|那这个|还有|另外|然后|所以|就是说)")
FOLLOW_UP_MAX_CHARS = 16
# A completed event ("被辞退了", "阳了"): facts told with it are the teller's own.
EVENT = re.compile(r"了")
# "不是50个，是35个": what comes after 是 replaces what came before.
SAID_INSTEAD = re.compile(r"不是[^，,。]{0,12}?[，,、\s]*(?:而)?是([^，,。]+)")
CORRECTION = re.compile(r"不对|错了|说错|更正|纠正|应该是|改成|改为|改一下|不是[^，,。]{0,10}[，,]?\s*是|其实是")
DONT_KNOW = re.compile(r"不知道|不清楚|说不清|说不好|不确定|不记得|记不清|忘了|不太清楚|搞不清|没数|不晓得|不了解")
CLAUSES = re.compile(r"[，,。；;！!？?\s]+")
CANCEL = re.compile(r"^(?:算了|不用了|不查了|不问了|不核对了|取消|先这样|停止|别查了|不需要了|不用核对)")
# "算了 先问个别的 …": what comes after the stop and the words that announce a new question
_NEW_QUESTION = re.compile(r"^[\s，,。.！!：:]*(?:(?:先|我)?(?:问|说)(?:个|一个|点)?(?:别的|其他的?|另外的?)(?:事|问题)?|换个(?:问题|话题)|另外)?[\s，,。.！!：:]*")
# Rasa's affirm / deny count only with a word that says so ("乱七八糟" is no "好的").
YES_OR_NO = re.compile(r"好|行|对|是|嗯|可以|没问题|收到|明白|知道|不|没|否|ok|yes|no", re.IGNORECASE)
# "呃呃呃": sounds, not words; never small talk, whatever Rasa reads into them.
FILLER_ONLY = re.compile(r"^[呃嗯啊哦额唔噢哎诶嘛\s。.,，…!！?？~～]+$")
# "能按95%那档领吗": a share asked for by name, which the case may not reach
ASKED_SHARE = re.compile(r"(?:按|拿|领|发|给|有)(\d+(?:\.\d+)?)%")
# "明白了", "知道了": the user takes the answer in, and asks nothing
ACKNOWLEDGE = re.compile(r"^(?:哦|噢|嗯|好)?(?:明白了?|知道了|懂了|了解了|清楚了|好的?|行|收到)(?:了|啦|的|谢谢|，谢谢)?[。！!~～]*$")
# "等下先问一个…", "顺便问一下…": a question put in between, not an answer to the one asked
ASIDE = re.compile(r"^(?:等(?:一)?下|等等|稍等|先问|我先问|顺便问|另外问|插(?:一)?句)")
# "你能回答什么问题", "你是谁": about the assistant itself, answered by its greeting
ABOUT_ASSISTANT = re.compile(r"你(?:能|会|可以)(?:回答|解答|答|做|干|帮我?做?)(?:些|哪些)?(?:什么|啥)|你是谁|你是(?:机器人|人工智能|真人)吗?")
# "38号文是哪天发的", "这个通知是哪些部门发的", "文件全称叫什么": about the notice itself, not a measure
ABOUT_NOTICE = re.compile(
    r"(?:文件|通知|号文|发文|这个文|政策文件)[^，。？]{0,6}(?:(?:哪天|哪一天|什么时候|何时|哪年|几月几[号日]|啥时候)"
    r"[^，。？]{0,3}(?:发|印发|发布|出台|下发|颁布)|(?:谁|哪些部门|哪个部门|哪几个部门|哪家单位|哪些单位)[^，。？]{0,3}(?:发|印发|发布|出)的?"
    r"|全称|全名|叫什么(?:名字)?|标题|发文(?:日期|时间|单位|机关))"
)
RESUME = re.compile(r"^(?:继续|接着|继续核对|接着核对|接着查|继续查)")
# A message that is only an ask for a check of the measure in focus ("我能领吗", "帮我核对能否享受").
CHECK_REQUEST = re.compile(r"帮我核对|核对(?:一下)?(?:能否|是否)?享受|核对资格|资格核对|能否享受")

# "现在还能申请吗", "还有效吗": a question of validity is answered first (the measure may have ended),
# even when it carries a fact of the asker's case.
# "那个公益岗位能干多长时间": how long a measure lasts is what it says, answered first.
HOW_LONG = re.compile(r"多长时间|多久|几个月|多少个月|多少天")
VALIDITY_ASK = re.compile(
    r"(?i)现在还(?:能|可以|有|管用|有效|执行|算)|还能用|还(?:有效|管用|算数|执行|实行|在执行|在实行)|过期|(?<![报合同])到期了?[吗没]|"
    r"什么时候(?:截止|到期|结束)|截止|失效|废止|停了吗|still (?:available|valid|effective|open)|expired"
)

# "稳岗返还", "我想问问失业金的事", "关于农民工的政策": a topic named, nothing more asked. Retrieval is
# rarely sure of two words; the article that holds them is the answer.
TOPIC_ONLY = re.compile(
    r"(?:喂|哎|诶|唉|啊|哦|噢|你好|您好|请问|麻烦|打扰一下|嗯|呃|那个|这个|就是|我|俺)*(?:想|要|就想)?(?:问问?|问一下|咨询|了解|打听|说说|讲讲|介绍)?(?:一下|下)?(?:那个|这个)?(?:关于)?"
    r"(?P<topic>[^，,。？?！!\s]+?)(?:的|方面的?|相关的?)?(?:事情?|问题|政策|情况|规定|内容)?(?:吧|呢|啊|呀)?[。！!？?]*"
)
TOPIC_MAX_CHARS = 8
# "招用农民工有什么补贴": a measure named with an ask for what it gives, answered like a topic.
ASKS_WHAT = re.compile(r"有什么|有哪些|有啥|哪些|什么补贴|啥补贴|什么政策|啥政策|给多少|补多少|多少钱")
ASKS_WHAT_MAX_CHARS = 16

ASKER = re.compile(_ASKER)
# "我现在还在领失业保险金": a fact of the asker's, not the measure asked about
RECEIVING = re.compile(r"(?:在|正在|已经在|还在|现在)领(?:着|取)?(?:失业保险金|失业金|失业补助金?)|领着(?:失业保险金|失业金|失业补助金?)")
# "每人每年最多补多少", "上限是多少": asks for a figure of the measure
HOW_MUCH = re.compile(r"多少|几成|上限|最多(?:能)?(?:补|给|领|拿|发)|最高")
# "如果再多裁一个呢", "又裁了两个": a number added to the one told before, not a new total
MORE = re.compile(r"再多|多裁|再裁|又裁|还多|多了?(?=\d|[一二两三四五六七八九十])")
# "正好30人的企业…", "如果裁了5个…": a class of cases or a hypothesis, not the asker's own case.
HYPOTHETICAL = re.compile(r"如果|假如|假设|比如|万一|要是")
GENERIC = re.compile(rf"的(?:企业|公司|单位|职工|员工|毕业生)|{HYPOTHETICAL.pattern}|一般|通常|正好|刚好|恰好")


def after_cancel(text: str) -> str:
    """The question a stop carries with it ("算了，先问个别的：报到截止是哪天" → "报到截止是哪天"), or ""."""
    m = CANCEL.match(text)
    if m is None:
        return ""
    rest = _NEW_QUESTION.sub("", text[m.end():], count=1)
    return rest if len(rest) >= 4 and QUESTION.search(rest) else ""


def strip_intro(text: str) -> str:
    return _INTRO.sub("", text)


def asks_own_case(text: str) -> bool:
    return bool(OWN_CASE.search(strip_intro(text)) or CHECK_REQUEST.search(text))
