"""Social and review posts about the firm and its two competitors, in three languages.

The number of posts per brand follows the declared share of voice; each brand has its own mix
of positive, neutral and negative posts (text from templates in the post's language). The firm
posts more during its campaigns, tagged with the campaign's tracking code; influencers under
contract post about it in their language. After the planted billing change, some of the
firm's negative posts complain about billing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlens.sample import catalog as cat
from cxlens.sample import names as nm
from cxlens.sample.campaigns import CampaignSchedule
from cxlens.sample.timeline import DAY, Timeline, daytime, to_timestamps

LANGS: tuple[str, ...] = tuple(cat.LANGUAGES)
#: Posts per customer of the sample.
POSTS_PER_CUSTOMER = 0.4
#: Followers from which an author counts as an influencer.
INFLUENCER_FOLLOWERS = 10_000
#: Share of the firm's negative posts about billing once the billing change starts.
BILLING_POST_SHARE = 0.4
#: Influencer handles under contract and their followers.
CONTRACT_FOLLOWERS: dict[str, int] = {
    "@techwithmia": 420_000,
    "@lena_obzory": 180_000,
    "@xiaowang_tech": 260_000,
}

TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "positive": (
            "Loving my {brand} connection, super fast today!",
            "Shout-out to {brand} support, fixed my issue in minutes.",
            "Switched to {brand} last month and never looking back.",
            "{brand} fibre is excellent, zero buffering all weekend.",
        ),
        "neutral": (
            "Anyone using {brand}? Thinking about switching.",
            "{brand} just announced new plans.",
            "How does {brand} compare on price?",
            "Comparing {brand} with other providers this week.",
        ),
        "negative": (
            "{brand} is down again. Third time this week. #fail",
            "Worst customer service ever, {brand}.",
            "{brand} charged me twice this month. Unbelievable.",
            "Two hours on hold with {brand}. Terrible.",
        ),
        "billing": (
            "{brand}'s new billing system is a disaster. Wrong invoice again.",
            "Since {brand} changed billing my business gets charged twice. Fix it!",
        ),
        "influencer": (
            "Testing {brand} fibre at home, speeds are wild! Link in bio #ad",
            "My honest {brand} review: fast, stable, easy setup #ad",
        ),
    },
    "ru": {
        "positive": (
            "Обожаю {brand}, интернет просто летает!",
            "Поддержка {brand} всё решила за пять минут, спасибо!",
            "Перешёл на {brand} и ни разу не пожалел.",
        ),
        "neutral": (
            "Кто-нибудь пользуется {brand}? Думаю подключиться.",
            "{brand} объявил новые тарифы.",
            "Сравниваю {brand} с другими провайдерами.",
        ),
        "negative": (
            "{brand} опять не работает. Третий раз за неделю!",
            "Худший сервис — это {brand}.",
            "{brand} списал деньги дважды. Безобразие.",
            "Два часа жду ответа от {brand}. Ужасно.",
        ),
        "billing": (
            "Новая система счетов у {brand} — катастрофа.",
            "После смены биллинга {brand} списывает с нашей компании дважды!",
        ),
        "influencer": (
            "Тестирую {brand} дома — скорость впечатляет! Ссылка в профиле #реклама",
            "Честный обзор {brand}: быстро, стабильно, легко подключить #реклама",
        ),
    },
    "zh": {
        "positive": (
            "{brand}的网速太快了，很满意！",
            "{brand}客服几分钟就解决了问题，点赞！",
            "换了{brand}以后一点都不后悔。",
        ),
        "neutral": (
            "有人用过{brand}吗？在考虑要不要换。",
            "{brand}推出了新套餐。",
            "正在比较{brand}和其他运营商。",
        ),
        "negative": (
            "{brand}又断网了，这周第三次了！",
            "{brand}的客服太差了。",
            "{brand}这个月重复扣费，太离谱了。",
            "等{brand}客服等了两个小时，糟糕。",
        ),
        "billing": (
            "{brand}的新计费系统太乱了，账单又错了。",
            "{brand}改了计费以后公司被重复扣费！",
        ),
        "influencer": (
            "在家实测{brand}光纤，速度惊人！#广告",
            "{brand}真实测评：快、稳、安装简单 #广告",
        ),
    },
}
SENTIMENTS: tuple[str, ...] = ("positive", "neutral", "negative")
_HASHTAGS = ("", "", "", " #broadband", " #wifi", " #internet", " #fibre", " #telecom")
_LIKE_RATE = {"x": 0.02, "instagram": 0.05, "facebook": 0.03, "tiktok": 0.07, "review_site": 0.01}


def _handles(rng: np.random.Generator, count: int, lang: str) -> np.ndarray:
    """Fictional author handles written from the name lists."""
    if lang == "en":
        first, last = np.array(nm.EN_FIRST), np.array(nm.EN_LAST)
    elif lang == "ru":
        first = np.array([r[1] for r in nm.RU_FIRST])
        last = np.array([r[1] for r in nm.RU_LAST])
    else:
        first = np.array([r[1] for r in nm.ZH_FIRST])
        last = np.array([r[1] for r in nm.ZH_LAST])
    f = first[rng.integers(len(first), size=count)]
    la = last[rng.integers(len(last), size=count)]
    num = rng.integers(1, 999, size=count)
    style = rng.integers(3, size=count)
    out = [
        (
            f"@{a.lower()}_{b.lower()}",
            f"@{a.lower()}{b[0].lower()}{k}",
            f"@{b.lower()}.{a.lower()}{k}",
        )[s]
        for a, b, k, s in zip(f, la, num, style, strict=True)
    ]
    return np.array(out, dtype=object)


def _times(
    rng: np.random.Generator, count: int, timeline: Timeline, boost: np.ndarray | None
) -> np.ndarray:
    days = timeline.seconds // DAY
    weight = np.ones(days) if boost is None else boost
    day = rng.choice(days, size=count, p=weight / weight.sum())
    at = timeline.start + (day.astype(np.int64) * DAY).astype("timedelta64[s]")
    return daytime(rng, at)


def build_posts(
    rng: np.random.Generator,
    customers: int,
    timeline: Timeline,
    campaigns: CampaignSchedule,
    problem_month: int,
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Generate posts about the firm and its competitors.

    Args:
        rng: the random generator.
        customers: number of customers of the sample (posts scale with it).
        timeline: the sample's period.
        campaigns: campaign windows and influencer deals.
        problem_month: 0-based month from which some of the firm's negative posts are about
            billing.

    Returns:
        The canonical ``posts`` table (post_id, platform, brand, brand_role, author, posted_at,
        text, language, likes, shares, comments, reach, followers, influencer, campaign_id) and
        facts for the truth file (share of voice and sentiment, declared and realised).

    Example:
        >>> from cxlens.sample import generate
        >>> data = generate(customers=500, months=6, seed=2)
        >>> sorted(data.tables["posts"]["brand_role"].unique())
        ['competitor', 'own']
    """
    total = max(300, round(customers * POSTS_PER_CUSTOMER))
    brands = np.array(list(cat.SHARE_OF_VOICE), dtype=object)
    per_brand = rng.multinomial(total, np.array(list(cat.SHARE_OF_VOICE.values())))
    days = timeline.seconds // DAY
    day_starts = timeline.start + (np.arange(days) * DAY).astype("timedelta64[s]")
    own_boost = np.ones(days)
    for k in range(len(campaigns.ids)):
        inside = (day_starts >= campaigns.starts[k]) & (day_starts <= campaigns.ends[k])
        own_boost[inside] *= 1.6

    # Influencer posts (part of the firm's share of voice).
    infl = np.flatnonzero(campaigns.kinds == "influencer")
    k_infl = rng.integers(4, 9, size=len(infl)) if per_brand[0] > 40 else np.zeros(len(infl), int)
    parts: dict[str, list[np.ndarray]] = {
        key: []
        for key in ("brand", "lang", "sent", "at", "campaign", "author", "followers", "theme")
    }
    for j, k in zip(infl, k_infl, strict=True):
        span = (campaigns.ends[j] - campaigns.starts[j]).astype(np.int64)
        at = campaigns.starts[j] + (rng.random(k) * span).astype(np.int64).astype("timedelta64[s]")
        parts["brand"].append(np.full(k, brands[0], dtype=object))
        parts["lang"].append(np.full(k, LANGS.index(campaigns.languages[j])))
        parts["sent"].append(np.zeros(k, dtype=int))
        parts["at"].append(daytime(rng, at))
        parts["campaign"].append(np.full(k, campaigns.ids[j], dtype=object))
        parts["author"].append(np.full(k, campaigns.influencers[j], dtype=object))
        followers = CONTRACT_FOLLOWERS.get(str(campaigns.influencers[j]), 100_000)
        parts["followers"].append(np.full(k, followers))
        parts["theme"].append(np.full(k, "influencer", dtype=object))

    lang_p = np.array(list(cat.LANGUAGES.values()))
    for b, brand in enumerate(brands):
        count = int(per_brand[b] - (k_infl.sum() if b == 0 else 0))
        lang = rng.choice(len(LANGS), size=count, p=lang_p)
        sent = rng.choice(3, size=count, p=np.array(cat.POST_SENTIMENT[brand]))
        at = _times(rng, count, timeline, own_boost if b == 0 else None)
        campaign = np.full(count, None, dtype=object)
        theme = np.array(SENTIMENTS, dtype=object)[sent]
        if b == 0:
            for j in np.flatnonzero(campaigns.kinds == "campaign"):
                inside = (at >= campaigns.starts[j]) & (at <= campaigns.ends[j])
                tag = inside & pd.isna(campaign) & (rng.random(count) < 0.3)
                campaign[tag] = campaigns.ids[j]
            tagged = pd.notna(campaign)
            sent[tagged & (sent == 2)] = 0  # campaign posts are not complaints
            theme = np.array(SENTIMENTS, dtype=object)[sent]
            if problem_month < timeline.months:
                after = at >= timeline.month_starts()[problem_month]
                billing = after & (sent == 2) & (rng.random(count) < BILLING_POST_SHARE)
                theme[billing] = "billing"
        parts["brand"].append(np.full(count, brand, dtype=object))
        parts["lang"].append(lang)
        parts["sent"].append(sent)
        parts["at"].append(at)
        parts["campaign"].append(campaign)
        parts["author"].append(np.full(count, None, dtype=object))
        parts["followers"].append(np.zeros(count, dtype=np.int64))
        parts["theme"].append(theme)
    col = {k: np.concatenate(v) for k, v in parts.items()}
    n = len(col["brand"])

    # Authors: a pool per language, log-normal followers; contracted influencers kept.
    missing = np.flatnonzero(pd.isna(col["author"]))
    for li, lang in enumerate(LANGS):
        idx = missing[col["lang"][missing] == li]
        pool = max(20, len(idx) // 2)
        handles = _handles(rng, pool, lang)
        followers = np.round(rng.lognormal(5.5, 1.8, size=pool)).astype(np.int64)
        pick = rng.integers(pool, size=len(idx))
        col["author"][idx] = handles[pick]
        col["followers"][idx] = followers[pick]
    platform_names = np.array(list(cat.PLATFORMS), dtype=object)
    pp = np.array(list(cat.PLATFORMS.values()))
    platform = platform_names[rng.choice(len(platform_names), size=n, p=pp / pp.sum())]
    infl_rows = col["theme"] == "influencer"
    platform[infl_rows] = np.array(
        [
            campaigns.table.set_index("campaign_id").at[c, "channel"]
            for c in col["campaign"][infl_rows]
        ],
        dtype=object,
    )
    review = platform == "review_site"
    col["followers"][review] = np.minimum(
        col["followers"][review], rng.integers(0, 300, size=int(review.sum()))
    )
    influencer = col["followers"] >= INFLUENCER_FOLLOWERS

    # Text from the templates, with hashtags and campaign codes.
    text = np.empty(n, dtype=object)
    for li, lang in enumerate(LANGS):
        for theme, options in TEMPLATES[lang].items():
            idx = np.flatnonzero((col["lang"] == li) & (col["theme"] == theme))
            if not len(idx):
                continue
            arr = np.array(options, dtype=object)
            text[idx] = [
                t.format(brand=b)
                for t, b in zip(
                    arr[rng.integers(len(arr), size=len(idx))], col["brand"][idx], strict=True
                )
            ]
    text = text + np.array(_HASHTAGS, dtype=object)[rng.integers(len(_HASHTAGS), size=n)]
    code_of = dict(zip(campaigns.ids, campaigns.codes, strict=True))
    has_c = pd.notna(col["campaign"])
    text[has_c] = [
        f"{t} #{code_of[c]}" for t, c in zip(text[has_c], col["campaign"][has_c], strict=True)
    ]

    # Engagement: reach from followers, likes by platform and tone, replies to complaints.
    reach = np.round(
        col["followers"] * rng.uniform(0.05, 0.5, size=n) * rng.lognormal(0.0, 0.5, size=n)
    ).astype(np.int64) + rng.poisson(40, size=n)
    rate = pd.Series(platform).map(_LIKE_RATE).to_numpy(float)
    tone = np.where(col["sent"] == 0, 1.3, np.where(col["sent"] == 2, 0.9, 0.6))
    likes = rng.poisson(reach * rate * tone)
    comments = rng.poisson(likes * np.where(col["sent"] == 2, 0.2, 0.07) + 0.3)
    shares = rng.poisson(likes * 0.05)

    order = np.argsort(col["at"], kind="stable")
    width = max(6, len(str(n)))
    brand_col = col["brand"][order]
    table = pd.DataFrame(
        {
            "post_id": pd.Series([f"P{k:0{width}d}" for k in range(1, n + 1)], dtype="str"),
            "platform": pd.Series(platform[order], dtype="str"),
            "brand": pd.Series(brand_col, dtype="str"),
            "brand_role": pd.Series(
                np.where(brand_col == cat.FIRM, "own", "competitor"), dtype="str"
            ),
            "author": pd.Series(col["author"][order], dtype="str"),
            "posted_at": to_timestamps(col["at"][order]),
            "text": pd.Series(text[order], dtype="str"),
            "language": pd.Series(np.array(LANGS)[col["lang"][order]], dtype="str"),
            "likes": likes[order].astype(np.int64),
            "shares": shares[order].astype(np.int64),
            "comments": comments[order].astype(np.int64),
            "reach": reach[order].astype(np.int64),
            "followers": col["followers"][order].astype(np.int64),
            "influencer": influencer[order].astype(bool),
            "campaign_id": pd.Series(col["campaign"][order], dtype="str"),
        }
    )
    realised = {str(b): round(float(np.mean(col["brand"] == b)), 4) for b in brands}
    sentiment: dict[str, dict[str, float]] = {}
    for b in brands:
        sel = col["brand"] == b
        sentiment[str(b)] = {
            s: round(float(np.mean(col["sent"][sel] == k)), 4) if sel.any() else 0.0
            for k, s in enumerate(SENTIMENTS)
        }
    facts: dict[str, object] = {
        "declared": dict(cat.SHARE_OF_VOICE),
        "realised": realised,
        "measure": "share of posts per brand",
        "sentiment_declared": {
            b: dict(zip(SENTIMENTS, p, strict=True)) for b, p in cat.POST_SENTIMENT.items()
        },
        "sentiment_realised": sentiment,
        "influencer_followers_threshold": INFLUENCER_FOLLOWERS,
        "influencer_posts": {
            str(campaigns.ids[j]): int(k) for j, k in zip(infl, k_infl, strict=True)
        },
        "own_billing_complaint_share_after_problem": BILLING_POST_SHARE,
    }
    return table, facts
