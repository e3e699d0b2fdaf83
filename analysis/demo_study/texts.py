"""Names, phone and ID numbers, and short Chinese sentences for open-ended answers.

Open answers are drawn from templates grouped by theme (经费不足, 设施老化, 人员缺乏,
网络信号差, 活动形式单一, 距离远, 语言障碍, ...); the theme of every generated
answer is returned with it, so the text-coding step can be checked against it.
Every string is GBK-encodable (the cadre file is saved in GBK).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> len(phone_number(rng))
11
>>> id_number(rng, "11", 1980, "1")[:6]
'632111'
>>> text, theme = open_answer(rng, "household_problem", ["距离远"])
>>> theme in THEMES["household_problem"] and text.endswith("。")
True
"""

from __future__ import annotations

import numpy as np

__all__ = ["THEMES", "id_number", "open_answer", "person_name", "phone_number"]

_HAN_SURNAMES = "王李张刘陈杨赵黄周吴徐孙朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
_HAN_MALE = [
    "建国",
    "志强",
    "海",
    "军",
    "明",
    "平",
    "文",
    "华",
    "永福",
    "国庆",
    "发财",
    "学军",
    "得胜",
    "玉林",
    "红军",
    "新民",
    "占福",
    "德明",
    "进财",
    "生荣",
    "有福",
    "万福",
    "长青",
    "永红",
    "春生",
    "宝山",
]
_HAN_FEMALE = [
    "秀英",
    "桂兰",
    "芳",
    "丽",
    "红",
    "玉梅",
    "桂花",
    "春梅",
    "秀兰",
    "兰英",
    "玉兰",
    "海燕",
    "晓燕",
    "金花",
    "彩霞",
    "玉珍",
    "淑珍",
    "美兰",
    "凤英",
    "小红",
]
_TIBETAN = [
    "才让",
    "扎西",
    "多杰",
    "索南",
    "旦增",
    "尼玛",
    "次仁",
    "更登",
    "才旦",
    "东智",
    "仁青",
    "桑杰",
    "公保",
    "完玛",
    "加羊",
    "拉加",
    "久美",
    "贡却",
    "南加",
    "丹正",
]
_TIBETAN_F = [
    "卓玛",
    "拉毛",
    "拉姆",
    "德吉",
    "央金",
    "措毛",
    "才措",
    "吉毛",
    "旦措",
    "卓嘎",
    "梅朵",
    "白玛",
]
_MONGOL = ["巴特尔", "额尔敦", "苏和", "那仁", "宝音", "特木尔", "朝鲁", "巴图", "孟和", "达来"]
_MONGOL_F = ["其其格", "乌兰", "萨仁", "娜仁", "图雅", "格日勒", "斯琴", "乌云"]
_HUI_SURNAMES = "马韩冶喇沙撒白丁哈苏"


def person_name(rng: np.random.Generator, ethnicity: str, sex: str) -> str:
    """A plausible name for a person of ``ethnicity`` (code of the ethnicity list) and ``sex``."""
    female = sex == "2"
    if ethnicity == "2":
        pool = _TIBETAN_F if female else _TIBETAN
        return str(rng.choice(pool)) + (str(rng.choice(pool)) if rng.random() < 0.6 else "")
    if ethnicity == "4":
        return str(rng.choice(_MONGOL_F if female else _MONGOL))
    surnames = _HUI_SURNAMES if ethnicity in ("3", "6") and rng.random() < 0.8 else _HAN_SURNAMES
    given = _HAN_FEMALE if female else _HAN_MALE
    return str(rng.choice(list(surnames))) + str(rng.choice(given))


_PREFIXES = (
    "139",
    "138",
    "137",
    "136",
    "135",
    "150",
    "151",
    "152",
    "158",
    "159",
    "182",
    "187",
    "188",
    "133",
    "153",
    "177",
    "180",
    "181",
    "189",
    "130",
    "131",
    "132",
    "155",
    "156",
    "186",
    "176",
    "199",
)


def phone_number(rng: np.random.Generator) -> str:
    """An 11-digit mainland mobile number (matches ``^1[3-9][0-9]{9}$``)."""
    return str(rng.choice(_PREFIXES)) + "".join(str(d) for d in rng.integers(0, 10, 8))


def id_number(rng: np.random.Generator, county: str, birth_year: int, sex: str) -> str:
    """An 18-character resident ID number with a valid check character (GB 11643)."""
    region = f"6321{county}"
    month, day = int(rng.integers(1, 13)), int(rng.integers(1, 29))
    seq = int(rng.integers(0, 500)) * 2 + (1 if sex == "1" else 0)
    body = f"{region}{birth_year:04d}{month:02d}{day:02d}{seq:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


#: Open-answer templates: kind -> theme -> sentences.
THEMES: dict[str, dict[str, tuple[str, ...]]] = {
    "household_problem": {
        "经费不足": (
            "村里搞活动没有钱，每次都是村干部自己想办法。",
            "文化活动经费太少，一年办不了几次像样的活动。",
            "上面给的钱不够用，演出的服装和音响都买不起。",
        ),
        "设施老化": (
            "书屋里的书都是好几年前的，没有新书。",
            "文化室的桌椅和音响坏了，一直没人修。",
            "村里的广播喇叭有一半不响了。",
        ),
        "人员缺乏": (
            "年轻人都出去打工了，组织活动找不到人。",
            "书屋没有专人管，经常锁着门。",
            "村里会组织活动的人太少了。",
        ),
        "网络信号差": (
            "我们这里手机信号时有时无，微信群里的通知经常收不到。",
            "宽带拉不到我们家，看不了网络电视。",
            "网速太慢，孩子上网课经常卡。",
        ),
        "活动形式单一": (
            "每次都是开会念文件，老百姓不爱听。",
            "活动来来回回就那几样，没什么意思。",
            "宣讲讲的都是大道理，跟我们的生产没关系。",
        ),
        "距离远": (
            "住得太远，去村委会要骑一个多小时摩托。",
            "冬季牧场离村里七八十公里，活动根本参加不了。",
            "家离村里远，晚上的活动回不来。",
        ),
        "语言障碍": (
            "宣讲都用汉语，家里老人听不懂。",
            "书屋里民族文字的书太少，孩子们想看也没有。",
            "放的电影没有民族语言配音，老人看不明白。",
        ),
        "收入低": ("家里收入不稳定，牛羊价格一跌就没钱了。", "种地不挣钱，一年忙到头剩不下多少。"),
        "看病难": ("看病要去县城，路远花钱多。", "村卫生室药品少，医生也不常在。"),
    },
    "household_wish": {
        "放电影": ("希望多放几场电影，最好是新片子。", "想看民族语言配音的电影。"),
        "文艺演出": (
            "希望过节的时候能有文艺演出。",
            "想看藏戏和民族歌舞。",
            "希望组织广场舞比赛。",
        ),
        "技术培训": (
            "希望多办养殖技术培训。",
            "想学电商和直播卖东西。",
            "希望有人来教种植新技术。",
        ),
        "体育活动": ("希望有篮球赛、拔河比赛这样的活动。", "想办赛马会。"),
        "图书": ("希望书屋多进一些适合孩子看的书。", "希望书屋周末也开门。"),
    },
    "household_suggestion": {
        "增加经费": ("希望上面多给点经费，把文化室修一修。", "建议给村里拨专门的活动经费。"),
        "双语宣讲": (
            "建议用民族语言宣讲，多准备双语材料。",
            "宣讲最好找本地人来讲，用我们的话讲。",
        ),
        "改善网络": ("希望把宽带拉到牧业点。", "希望在村里多建几个信号塔。"),
        "贴近生产": (
            "多搞一些技术培训，比念文件实用。",
            "宣讲要讲跟我们有关的政策，比如补贴怎么领。",
        ),
        "灵活时间": ("活动最好安排在农闲的时候。", "晚上或者周末搞活动，白天大家都忙。"),
    },
    "village_difficulty": {
        "经费不足": (
            "村集体没有收入，开展活动全靠上级拨款，钱少事多。",
            "经费只够买点奖品，大型活动办不起来。",
        ),
        "设施老化": ("文化室是十几年前建的，屋顶漏雨，设备老化。", "书屋图书更新慢，群众不爱借。"),
        "人员缺乏": (
            "宣传工作都是村干部兼着做，没有专职人员。",
            "年轻人外出多，文艺队伍后继无人。",
        ),
        "网络信号差": (
            "部分牧业点没有手机信号，通知只能派人去送。",
            "网络覆盖不到位，远程教育站点用不起来。",
        ),
        "活动形式单一": ("活动形式比较单一，主要是开会和宣讲，群众参与积极性不高。",),
        "距离远": (
            "居住分散，最远的牧户离村委会五十多公里，集中活动很难组织。",
            "夏季牧场离得远，群众一走就是几个月。",
        ),
        "语言障碍": ("上级发的宣传材料都是汉文，群众看不懂，需要翻译。", "缺少会双语的宣讲员。"),
    },
    "village_suggestion": {
        "增加经费": (
            "建议县上设立村级文化活动专项经费，按人口拨付。",
            "希望加大对牧区文化设施的投入。",
        ),
        "培训队伍": (
            "建议每年组织宣传员培训，配备专职文化管理员。",
            "希望培养一批本村的双语宣讲员。",
        ),
        "改善网络": ("建议加快牧业点通信基站建设。", "希望宽带和广播尽快覆盖到所有自然村。"),
        "丰富形式": (
            "建议把宣讲和技术培训、文艺演出结合起来。",
            "多组织群众喜闻乐见的民族体育活动。",
        ),
    },
    "cadre_problem": {
        "时间短": ("挂职时间太短，刚熟悉情况就要回去了。", "一年时间不够，很多工作刚开头。"),
        "工作安排": (
            "接收单位安排的具体工作不多，主要是跟班学习。",
            "分管工作不明确，有时候不知道该干什么。",
        ),
        "待遇保障": ("生活补助标准偏低，往返路费要自己承担。", "住宿条件比较差，冬天取暖困难。"),
        "语言障碍": ("语言不通，和牧民交流要靠翻译。",),
        "两头兼顾": (
            "原单位的工作还要兼顾，两头跑精力不够。",
            "家里老人孩子没人照顾，牵挂比较多。",
        ),
    },
    "cadre_suggestion": {
        "延长期限": ("建议挂职时间延长到两年，便于做出实绩。",),
        "明确分工": (
            "建议明确挂职干部的分工，给实际工作任务。",
            "挂职前应和接收单位沟通好岗位安排。",
        ),
        "完善考核": (
            "建议完善挂职干部考核办法，考核结果和使用挂钩。",
            "希望考核更多听取群众意见。",
        ),
        "加强保障": ("建议提高生活补助，解决交通和住宿问题。",),
    },
    "assessor_good": {
        "肯定": (
            "该同志工作积极主动，深入基层，群众评价较好。",
            "能够较快进入角色，圆满完成挂职任务。",
            "政治立场坚定，作风扎实，成绩突出。",
        ),
    },
    "assessor_fair": {
        "一般": ("能够完成分管工作，但主动性有待提高。", "工作基本称职，深入群众还不够。"),
    },
    "assessor_poor": {
        "不足": ("到岗时间少，工作完成情况不理想。", "工作作风不够扎实，群众反映较多。"),
    },
}


def open_answer(
    rng: np.random.Generator, kind: str, likely: list[str] | None = None
) -> tuple[str, str]:
    """One open answer of ``kind`` and its theme; themes in ``likely`` are favoured.

    Sometimes two sentences of different themes are joined; the theme returned is the
    first one's.
    """
    themes = THEMES[kind]
    names = list(themes)
    weights = np.array([4.0 if likely and t in likely else 1.0 for t in names])
    theme = str(rng.choice(names, p=weights / weights.sum()))
    text = str(rng.choice(themes[theme]))
    if len(names) > 1 and rng.random() < 0.25:
        other = str(rng.choice([t for t in names if t != theme]))
        text += str(rng.choice(themes[other]))
    return text, theme
