"""The slot table: every fact a check asks for, written once.

One row per canonical slot (DESIGN.md; the chat API reports the name in `asking_for`): its type,
the Chinese label used in computations, unit and admissible range, the answers of a yes/no or
choice question with their keypad keys, the chat question, the voice prompt, and where to find the
fact. The rule table (`bot.eligibility`, `rules.yaml`) names its inputs by these names and, when it
loads, fills in each row's `checks`: the rules that read the slot. The IVR reads its prompts and
keys from here; a keyed voice prompt is built from the options, so each key is written once.
"""
from __future__ import annotations

from dataclasses import dataclass

TYPES = ("int", "number", "percent", "bool", "choice", "year", "date")
NUMBER_TYPES = frozenset({"int", "number", "percent", "year"})  # entered as digits on the keypad

ENTERPRISE_SIZE = "enterprise_size"
AFFECTED_BY_EPIDEMIC = "affected_by_epidemic"
EMPLOYEES = "employees"
LAYOFFS = "layoffs"
LAYOFF_RATE = "layoff_rate"
CONTRIBUTION_YEARS = "contribution_years"
SEPARATION_REASON = "separation_reason"
CLASS_HOURS = "class_hours"
CLASS_MINUTES = "class_minutes"
SAME_PROJECT_SUBSIDIZED = "same_project_subsidized"
UNEMPLOYED_REGISTERED_MONTHS = "unemployed_registered_months"
CONTRACT_YEARS = "contract_years"
SOCIAL_INSURANCE_PAID = "social_insurance_paid"
EMPLOYER_EPIDEMIC_SUPPLY_FIRM = "employer_epidemic_supply_firm"
GRAD_YEAR = "grad_year"
ORIGIN = "origin"
COVID_INFECTED = "covid_infected"
MIGRANT_WORKER = "migrant_worker"
ACCIDENT_INSURANCE_PREMIUM = "accident_insurance_premium"
STARTUP_GUARANTEE_LOAN = "startup_guarantee_loan"
RECEIVING_UNEMPLOYMENT_BENEFIT = "receiving_unemployment_benefit"
WANTS_BOTH_BENEFITS = "wants_both_benefits"
RECEIVING_UNEMPLOYMENT_SUBSIDY = "receiving_unemployment_subsidy"
LOAN_DISBURSED = "loan_disbursed"
OTHER_LOAN_NAMED = "other_loan_named"
LOST_INCOME = "lost_income"
RENT_WAIVED = "rent_waived"
INCUBATOR = "incubator"
PERSONS = "persons"  # people a per-person amount is paid for (referred to a job)
# When the event a measure is about happened (lost the job, reported): "2023-02", "2020-10-08", "2026",
# or "now" (the day asked). Never asked; told, it decides whether the measure still ran then.
EVENT_DATE = "event_date"
EXTENSION_YEARS = "extension_years"  # the loan extension asked for
POST_MONTHS = "post_months"  # the length of a public-welfare post asked for
TRAINING_RECORDS = "training_records"  # courseware or records of the training kept
OUT_OF_PROVINCE = "out_of_province"  # a migrant worker from outside Liaoning (外省籍)


@dataclass(frozen=True)
class Option:
    """One answer of a yes/no or choice question.

    :param value: the slot value (True/False, or a choice code such as "sme").
    :param label: its words in chat and in verdicts; a key pressed becomes these words.
    :param key: the keypad key.
    :param spoken: how the voice prompt names it (`…请按{key}`); the label when empty.
    """

    value: str | bool
    label: str
    key: str
    spoken: str = ""


def _yes_no(yes: str, no: str) -> tuple[Option, Option]:
    """A yes/no question: 1 for yes, 2 for no; `yes`/`no` are what the voice prompt says."""
    return Option(True, "是", "1", yes), Option(False, "不是", "2", no)


@dataclass(frozen=True)
class Slot:
    """One row of the slot table.

    :param chat: the question in chat (WeChat, web, API).
    :param voice: the IVR prompt of a number slot; a keyed slot's is built from its options.
    :param help: where a user who does not know the fact finds it.
    :param max_slot: a slot whose value this one may not exceed (layoffs ≤ employees).
    :param checks: the ids of the rules that read the slot (filled in by the rule table's loader).
    :raises ValueError: the row is inconsistent (unknown type, options on a number, a key twice).
    """

    name: str
    type: str
    label: str
    chat: str
    help: str
    voice: str = ""
    unit: str = ""
    min: int | None = None
    max: int | None = None
    max_slot: str | None = None
    options: tuple[Option, ...] = ()
    checks: tuple[str, ...] = ()

    def __post_init__(self):
        if self.type not in TYPES:
            raise ValueError(f"slot {self.name!r}: type must be one of {TYPES}, got {self.type!r}")
        keyed = self.type in ("bool", "choice")
        if keyed != bool(self.options):
            raise ValueError(f"slot {self.name!r}: a bool/choice slot needs options with keys, a number slot none")
        keys = [o.key for o in self.options]
        if len(set(keys)) != len(keys):
            raise ValueError(f"slot {self.name!r}: keypad keys {keys} repeat")
        if keyed:
            voice = "，".join(f"{o.spoken or o.label}请按{o.key}" for o in self.options) + "。"
            if self.voice not in ("", voice):
                raise ValueError(f"slot {self.name!r}: a keyed slot's voice prompt is built from its options")
            object.__setattr__(self, "voice", voice)

    @property
    def choices(self) -> dict[str, str]:
        """A choice slot's codes and their words ({} for other types)."""
        return {o.value: o.label for o in self.options} if self.type == "choice" else {}

    def by_key(self, key: str) -> Option | None:
        """The option a keypad key selects, or None."""
        return next((o for o in self.options if o.key == key), None)

    def prompt(self, channel: str = "chat") -> str:
        """The question for `channel`: `ivr` gets the voice prompt, every other slug the chat one."""
        return self.voice if channel == "ivr" else self.chat


SLOTS = (
    Slot(ENTERPRISE_SIZE, "choice", "企业类型",
         chat="请问贵单位属于中小微企业，还是其他企业（如大型企业）？",
         help="中小微企业按国家统计局《统计上大中小微型企业划分办法（2017）》的标准划分，一般可向单位财务或人事部门了解。",
         options=(Option("sme", "中小微企业", "1"), Option("other", "其他企业", "2"))),
    Slot(AFFECTED_BY_EPIDEMIC, "bool", "受疫情影响",
         chat="请问贵单位的生产经营是否受到了疫情影响？",
         help="是否受疫情影响，一般看疫情期间生产经营是否受到停工、减产、订单减少等影响。",
         options=_yes_no("受到疫情影响", "没有受到影响")),
    Slot(EMPLOYEES, "int", "参保职工", unit="人", min=1,
         chat="请问贵单位参保职工有多少人？",
         voice="请输入参保职工人数，按井号键结束。",
         help="参保职工人数可以在单位的社会保险缴费明细中查到，或向社保经办机构查询。"),
    Slot(LAYOFFS, "int", "裁员", unit="人", min=0, max_slot=EMPLOYEES,
         chat="请问贵单位裁员了多少人？没有裁员请回答“没有”。",
         voice="请输入裁员人数，没有裁员请输入0，按井号键结束。",
         help="裁员人数可以向单位人事部门了解；没有裁员就回答“没有”。"),
    Slot(LAYOFF_RATE, "percent", "裁员率", unit="%", min=0, max=100,
         chat="请问贵单位的裁员率是多少？例如：百分之五点五。",
         voice="请输入裁员率的百分数，小数点请按星号键，按井号键结束。",
         help="裁员率 = 裁员人数 ÷ 参保职工总数，您也可以直接告诉我这两个人数。"),
    Slot(CONTRIBUTION_YEARS, "number", "累计缴费", unit="年", min=0, max=60,
         chat="请问您失业前所在单位和您本人累计缴纳失业保险费多长时间了？例如：一年半、整十年。",
         voice="请输入累计缴费年数，小数点请按星号键，按井号键结束。",
         help="累计缴费年限可以在“大连人社”微信公众号、社保经办机构或12333查询。"),
    Slot(SEPARATION_REASON, "choice", "失业原因",
         chat="请问您是因为什么失业的：个人原因主动辞职，被单位辞退或裁员，还是劳动合同期满？",
         help="失业原因以解除或终止劳动合同的证明上写的为准。",
         options=(Option("personal", "因个人原因解除劳动合同", "1", "因个人原因辞职"),
                  Option("employer", "被用人单位解除劳动合同（辞退、裁员）", "2", "被单位辞退或裁员"),
                  Option("contract_end", "劳动合同期满终止", "3", "劳动合同期满"))),
    Slot(CLASS_HOURS, "int", "培训", unit="课时", min=0, max=10000,
         chat="请问每名职工完成了多少课时的培训？",
         voice="请输入每名职工完成的培训课时数，按井号键结束。",
         help="课时数以培训记录（签到、学习记录）为准。"),
    Slot(CLASS_MINUTES, "number", "每课时", unit="分钟", min=1, max=600,
         chat="请问每一课时的培训有多少分钟？",
         voice="请输入每一课时的分钟数，按井号键结束。",
         help="每课时的分钟数以培训课件或培训记录为准；不少于45分钟的才能计算补贴。"),
    Slot(SAME_PROJECT_SUBSIDIZED, "bool", "同一培训项目已享受过补贴",
         chat="请问这个培训项目以前是否已经享受过培训补贴？",
         help="同一培训项目不得重复享受补贴；以补贴申领记录为准。",
         options=_yes_no("已经享受过", "没有")),
    Slot(UNEMPLOYED_REGISTERED_MONTHS, "number", "登记失业", unit="个月", min=0, max=600,
         chat="请问这名人员已经登记失业多长时间了？例如：八个月、一年。",
         voice="请输入登记失业的月数，按井号键结束。",
         help="登记失业的时间可以向办理失业登记的公共就业服务机构查询。"),
    Slot(CONTRACT_YEARS, "number", "劳动合同期限", unit="年", min=0, max=60,
         chat="请问签订的劳动合同期限是多长时间？例如：一年、三年。",
         voice="请输入劳动合同期限的年数，小数点请按星号键，按井号键结束。",
         help="劳动合同期限以签订的劳动合同为准。"),
    Slot(SOCIAL_INSURANCE_PAID, "bool", "按规定缴纳社会保险",
         chat="请问是否已按规定参保、缴纳社会保险？",
         help="是否参保缴费可以在“大连人社”微信公众号或社保经办机构查询。",
         options=_yes_no("已经参保缴费", "没有")),
    Slot(EMPLOYER_EPIDEMIC_SUPPLY_FIRM, "bool", "用人单位春节期间开工生产、配送疫情防控急需物资",
         chat="请问用人单位是不是春节期间开工生产、配送疫情防控急需物资的企业？",
         help="可以向用人单位确认春节期间（截至2020年2月9日）是否开工生产、配送疫情防控急需物资。",
         options=_yes_no("用人单位春节期间开工生产或配送防疫急需物资", "不是")),
    Slot(GRAD_YEAR, "year", "毕业年份", unit="年", min=1950, max=2100,
         chat="请问您是哪一年毕业的？例如：2018届。",
         voice="请输入四位数的毕业年份，按井号键结束。",
         help="毕业年份以毕业证书上的日期为准。"),
    Slot(ORIGIN, "choice", "生源地",
         chat="请问您是大连生源，还是非大连生源（外地生源）？",
         help="生源地以入学前的户籍所在地为准，可以向学校就业指导部门确认。",
         options=(Option("dalian", "大连生源", "1"), Option("non_dalian", "非大连生源", "2"))),
    Slot(LOST_INCOME, "bool", "受疫情影响暂时失去收入来源",
         chat="请问您（或贵企业）是否因疫情影响暂时失去了收入来源？",
         help="例如因疫情停业、停工，暂时没有经营或工资收入。",
         options=_yes_no("暂时失去了收入来源", "没有")),
    Slot(INCUBATOR, "bool", "创业孵化载体",
         chat="请问贵单位是创业孵化基地（创业园）、众创空间等创业孵化载体吗？",
         help="创业孵化载体指经认定的创业孵化基地（创业园）、众创空间等；普通写字楼、商铺出租不在此列。",
         options=_yes_no("是创业孵化载体", "不是")),
    Slot(RENT_WAIVED, "bool", "为入驻的创业者或企业减免场地租金",
         chat="请问贵孵化载体是否在疫情防控期间为入驻的创业者或企业减免了场地租金？",
         help="以与入驻创业者或企业签订的减免租金协议或收租记录为准。",
         options=_yes_no("减免了场地租金", "没有")),
    Slot(PERSONS, "int", "人数", unit="人", min=1, max=100000,
         chat="请问一共涉及多少人？",
         voice="请输入人数，按井号键结束。",
         help="按实际推荐就业的人数计算。"),
    Slot(WANTS_BOTH_BENEFITS, "bool", "同时领取失业保险金和失业补助金",
         chat="请问您是想同时领取失业保险金和失业补助金吗？",
         help="失业保险金和失业补助金只能领其中一项。",
         options=_yes_no("想同时领取", "只领一项")),
    Slot(RECEIVING_UNEMPLOYMENT_BENEFIT, "bool", "正在领取失业保险金",
         chat="请问您现在是否正在领取失业保险金？",
         help="可以在“大连人社”微信公众号、社保经办机构或12333查询失业保险金的领取情况。",
         options=_yes_no("正在领取失业保险金", "没有")),
    Slot(RECEIVING_UNEMPLOYMENT_SUBSIDY, "bool", "正在领取失业补助金",
         chat="请问您现在是否正在领取失业补助金？",
         help="可以在社保经办机构或12333查询失业补助金的领取情况。",
         options=_yes_no("正在领取失业补助金", "没有")),
    Slot(OTHER_LOAN_NAMED, "bool", "问的是房贷、车贷等其他贷款",
         chat="请问您问的是房贷、车贷等其他贷款吗？",
         help="本通知第六条只规定了个人创业担保贷款的展期。",
         options=_yes_no("问的是其他贷款", "不是")),
    Slot(LOAN_DISBURSED, "bool", "贷款已发放",
         chat="请问这笔创业担保贷款已经发放（放款）了吗？",
         help="以贷款银行的放款记录为准。",
         options=_yes_no("已经发放", "还没有发放")),
    Slot(STARTUP_GUARANTEE_LOAN, "bool", "已发放的个人创业担保贷款",
         chat="请问这笔贷款是已经发放的个人创业担保贷款吗？（房贷、车贷等其他贷款不在本条范围内）",
         help="可以看贷款合同，或问放款银行：创业担保贷款由政府担保、财政贴息。",
         options=_yes_no("是个人创业担保贷款", "是其他贷款")),
    Slot(COVID_INFECTED, "bool", "借款人患新型冠状病毒感染肺炎",
         chat="请问借款人是否患了新型冠状病毒感染肺炎？",
         help="以医疗机构的诊断证明为准。",
         options=_yes_no("借款人患了新冠肺炎", "没有")),
    Slot(MIGRANT_WORKER, "bool", "农民工",
         chat="请问相关人员是农民工吗？",
         help="农民工一般指户籍在农村、进城务工的人员。",
         options=_yes_no("是农民工", "不是")),
    Slot(EXTENSION_YEARS, "number", "申请展期", unit="年", min=0, max=30,
         chat="请问想申请展期多长时间？",
         voice="请输入想申请展期的年数，小数点请按星号键，按井号键结束。",
         help="展期期限原则上不超过1年，具体以贷款银行审批为准。"),
    Slot(POST_MONTHS, "number", "公益性岗位期限", unit="个月", min=0, max=600,
         chat="请问想安排多长时间的公益性岗位？",
         voice="请输入公益性岗位的月数，按井号键结束。",
         help="短期公益性岗位托底安置为3至6个月。"),
    Slot(TRAINING_RECORDS, "bool", "留有培训课件或培训记录",
         chat="请问培训是否留有培训课件或培训记录（如培训录像、直播、微信记录）？",
         help="培训补贴凭培训课件或培训记录（主要包括培训录像、直播、微信记录等）申领。",
         options=_yes_no("留有培训课件或记录", "没有")),
    Slot(OUT_OF_PROVINCE, "bool", "外省籍",
         chat="请问这位农民工是外省籍（辽宁省以外）的吗？",
         help="外省籍指户籍在辽宁省以外。",
         options=_yes_no("是外省籍", "是辽宁省内的")),
    Slot(EVENT_DATE, "date", "发生时间",
         chat="请问这件事（失业、辞职或报到）是哪年哪月发生的？",
         voice="请说出这件事发生的年份和月份。",
         help="以解除劳动合同证明、报到证明等材料上的日期为准。"),
    Slot(ACCIDENT_INSURANCE_PREMIUM, "number", "人身意外伤害保险保费", unit="元", min=0, max=100000,
         chat="请问每人的人身意外伤害保险保费是多少元？",
         voice="请输入每人的保费金额，按井号键结束。",
         help="保费金额以保险合同或缴费凭证为准。"),
)

BY_NAME = {slot.name: slot for slot in SLOTS}
ALL = tuple(BY_NAME)


def prompt_for(slot: str, channel: str = "chat") -> str:
    """The question that asks for `slot` on `channel` (`ivr`: voice/keypad; any other slug: chat).

    :raises KeyError: `slot` is not a canonical slot.
    """
    return BY_NAME[slot].prompt(channel)


def help_for(slot: str) -> str:
    """Where to find the fact `slot` asks for ("" for an unknown slot)."""
    return BY_NAME[slot].help if slot in BY_NAME else ""
