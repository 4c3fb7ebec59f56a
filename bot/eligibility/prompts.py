"""The one question per slot, for chat and for the phone (voice or keypad), and the keypad keys.

Rasa's forms (`utter_ask_<slot>` via the action), the IVR menus and the docs all take their
wording from here; `parsing.parse_slot_value(..., channel="ivr")` reads the same keypad table.
"""
from __future__ import annotations

from bot import slots as S

CHANNELS = ("chat", "ivr")

PROMPTS: dict[str, dict[str, str]] = {
    S.ENTERPRISE_SIZE: {
        "chat": "请问贵单位属于中小微企业，还是其他企业（如大型企业）？",
        "ivr": "中小微企业请按1，其他企业请按2。",
    },
    S.AFFECTED_BY_EPIDEMIC: {
        "chat": "请问贵单位的生产经营是否受到了疫情影响？",
        "ivr": "受到疫情影响请按1，没有受到影响请按2。",
    },
    S.EMPLOYEES: {
        "chat": "请问贵单位参保职工有多少人？",
        "ivr": "请输入参保职工人数，按井号键结束。",
    },
    S.LAYOFFS: {
        "chat": "请问贵单位裁员了多少人？没有裁员请回答“没有”。",
        "ivr": "请输入裁员人数，没有裁员请输入0，按井号键结束。",
    },
    S.LAYOFF_RATE: {
        "chat": "请问贵单位的裁员率是多少？例如：百分之五点五。",
        "ivr": "请输入裁员率的百分数，小数点请按星号键，按井号键结束。",
    },
    S.CONTRIBUTION_YEARS: {
        "chat": "请问您失业前所在单位和您本人累计缴纳失业保险费多长时间了？例如：一年半、整十年。",
        "ivr": "请输入累计缴费年数，小数点请按星号键，按井号键结束。",
    },
    S.SEPARATION_REASON: {
        "chat": "请问您是因为什么失业的：个人原因主动辞职，被单位辞退或裁员，还是劳动合同期满？",
        "ivr": "因个人原因辞职请按1，被单位辞退或裁员请按2，劳动合同期满请按3。",
    },
    S.CLASS_HOURS: {
        "chat": "请问每名职工完成了多少课时的培训？",
        "ivr": "请输入每名职工完成的培训课时数，按井号键结束。",
    },
    S.CLASS_MINUTES: {
        "chat": "请问每一课时的培训有多少分钟？",
        "ivr": "请输入每一课时的分钟数，按井号键结束。",
    },
    S.UNEMPLOYED_REGISTERED_MONTHS: {
        "chat": "请问这名人员已经登记失业多长时间了？例如：八个月、一年。",
        "ivr": "请输入登记失业的月数，按井号键结束。",
    },
    S.CONTRACT_YEARS: {
        "chat": "请问签订的劳动合同期限是多长时间？例如：一年、三年。",
        "ivr": "请输入劳动合同期限的年数，小数点请按星号键，按井号键结束。",
    },
    S.SOCIAL_INSURANCE_PAID: {
        "chat": "请问是否已按规定参保、缴纳社会保险？",
        "ivr": "已经参保缴费请按1，没有请按2。",
    },
    S.EMPLOYER_EPIDEMIC_SUPPLY_FIRM: {
        "chat": "请问用人单位是不是春节期间开工生产、配送疫情防控急需物资的企业？",
        "ivr": "用人单位春节期间开工生产或配送防疫急需物资请按1，不是请按2。",
    },
    S.GRAD_YEAR: {
        "chat": "请问您是哪一年毕业的？例如：2018届。",
        "ivr": "请输入四位数的毕业年份，按井号键结束。",
    },
    S.ORIGIN: {
        "chat": "请问您是大连生源，还是非大连生源（外地生源）？",
        "ivr": "大连生源请按1，非大连生源请按2。",
    },
    S.COVID_INFECTED: {
        "chat": "请问借款人是否患了新型冠状病毒感染肺炎？",
        "ivr": "借款人患了新冠肺炎请按1，没有请按2。",
    },
    S.MIGRANT_WORKER: {
        "chat": "请问相关人员是农民工吗？",
        "ivr": "是农民工请按1，不是请按2。",
    },
    S.ACCIDENT_INSURANCE_PREMIUM: {
        "chat": "请问每人的人身意外伤害保险保费是多少元？",
        "ivr": "请输入每人的保费金额，按井号键结束。",
    },
}

# Where a user finds a fact they do not know (said after "不知道").
HELP: dict[str, str] = {
    S.ENTERPRISE_SIZE: "中小微企业按国家统计局《统计上大中小微型企业划分办法（2017）》的标准划分，一般可向单位财务或人事部门了解。",
    S.AFFECTED_BY_EPIDEMIC: "是否受疫情影响，一般看疫情期间生产经营是否受到停工、减产、订单减少等影响。",
    S.EMPLOYEES: "参保职工人数可以在单位的社会保险缴费明细中查到，或向社保经办机构查询。",
    S.LAYOFFS: "裁员人数可以向单位人事部门了解；没有裁员就回答“没有”。",
    S.LAYOFF_RATE: "裁员率 = 裁员人数 ÷ 参保职工总数，您也可以直接告诉我这两个人数。",
    S.CONTRIBUTION_YEARS: "累计缴费年限可以在“大连人社”微信公众号、社保经办机构或12333查询。",
    S.SEPARATION_REASON: "失业原因以解除或终止劳动合同的证明上写的为准。",
    S.CLASS_HOURS: "课时数以培训记录（签到、学习记录）为准。",
    S.CLASS_MINUTES: "每课时的分钟数以培训课件或培训记录为准；不少于45分钟的才能计算补贴。",
    S.UNEMPLOYED_REGISTERED_MONTHS: "登记失业的时间可以向办理失业登记的公共就业服务机构查询。",
    S.CONTRACT_YEARS: "劳动合同期限以签订的劳动合同为准。",
    S.SOCIAL_INSURANCE_PAID: "是否参保缴费可以在“大连人社”微信公众号或社保经办机构查询。",
    S.EMPLOYER_EPIDEMIC_SUPPLY_FIRM: "可以向用人单位确认春节期间（截至2020年2月9日）是否开工生产、配送疫情防控急需物资。",
    S.GRAD_YEAR: "毕业年份以毕业证书上的日期为准。",
    S.ORIGIN: "生源地以入学前的户籍所在地为准，可以向学校就业指导部门确认。",
    S.COVID_INFECTED: "以医疗机构的诊断证明为准。",
    S.MIGRANT_WORKER: "农民工一般指户籍在农村、进城务工的人员。",
    S.ACCIDENT_INSURANCE_PREMIUM: "保费金额以保险合同或缴费凭证为准。",
}

_YES_NO = {"1": True, "2": False}

# Keypad digits for yes/no and choice slots (the IVR prompts above say the same).
KEYPAD: dict[str, dict[str, object]] = {
    S.ENTERPRISE_SIZE: {"1": "sme", "2": "other"},
    S.SEPARATION_REASON: {"1": "personal", "2": "employer", "3": "contract_end"},
    S.ORIGIN: {"1": "dalian", "2": "non_dalian"},
    S.AFFECTED_BY_EPIDEMIC: _YES_NO,
    S.SOCIAL_INSURANCE_PAID: _YES_NO,
    S.EMPLOYER_EPIDEMIC_SUPPLY_FIRM: _YES_NO,
    S.COVID_INFECTED: _YES_NO,
    S.MIGRANT_WORKER: _YES_NO,
}


def help_for(slot: str) -> str:
    """Where to find the fact `slot` asks for ("" when there is no advice)."""
    return HELP.get(slot, "")


def prompt_for(slot: str, channel: str = "chat") -> str:
    """The question that asks for `slot`.

    :param slot: a canonical slot name (`bot.slots`).
    :param channel: `chat` (WeChat, web, API) or `ivr` (read out on the phone, keypad answer).
        Any other channel slug gets the chat wording.
    :returns: one natural Chinese question.
    :raises KeyError: `slot` is not a canonical slot.
    """
    texts = PROMPTS[slot]
    return texts["ivr"] if channel == "ivr" else texts["chat"]
