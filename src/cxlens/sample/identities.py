"""Identity records of the customers as three source systems hold them: CRM, web, support.

Every customer has one CRM record (clean, native-script name, linked to the customer). Most
also have web accounts (a few have two) and support contacts, typed by the customers or by
agents: names in other scripts or spellings, case and whitespace noise, typos, other phone
formats, other e-mail addresses, and often no customer_id. The true links are returned
separately so identity resolution can be scored.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlens.sample import names as nm
from cxlens.sample.customers import LANGUAGES, SEGMENTS, Population

#: Share of customers with at least one web account, and with a second one.
WEB_SHARE = 0.68
WEB_SECOND_SHARE = 0.06
#: Share of customers with a support record.
SUPPORT_SHARE = 0.42
#: Share of web / support records that carry the customer_id.
WEB_LINKED = 0.7
SUPPORT_LINKED = 0.55


def _typo(text: str, rng_u: float) -> str:
    """Swap two neighbouring letters (never the first) of a Latin name."""
    if len(text) < 4:
        return text
    i = 1 + int(rng_u * (len(text) - 2))
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def _phone(lang: str, digits: str, style: int) -> str:
    """Write a phone number (national digits) in one of four styles per country."""
    if lang == "en":
        a, b, c = digits[:3], digits[3:6], digits[6:]
        return (f"+1{digits}", f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"+1 {a} {b} {c}")[style]
    if lang == "ru":
        a, b, c, d = digits[:3], digits[3:6], digits[6:8], digits[8:]
        return (f"+7{digits}", f"8 ({a}) {b}-{c}-{d}", f"8{digits}", f"+7 {a} {b}-{c}-{d}")[style]
    a, b, c = digits[:3], digits[3:7], digits[7:]
    return (f"+86{digits}", f"{a} {b} {c}", f"{digits}", f"+86-{a}-{b}-{c}")[style]


def _people(rng: np.random.Generator, pop: Population) -> dict[str, np.ndarray]:
    """Draw each customer's name (native and Latin forms), e-mail and phone digits."""
    n = len(pop)
    lang = np.array(LANGUAGES)[pop.language]
    native = np.empty(n, dtype=object)
    first = np.empty(n, dtype=object)
    last = np.empty(n, dtype=object)
    alt_first = np.empty(n, dtype=object)
    alt_last = np.empty(n, dtype=object)
    surname_first = np.zeros(n, dtype=bool)

    idx = np.flatnonzero(lang == "en")
    f = np.array(nm.EN_FIRST)[rng.integers(len(nm.EN_FIRST), size=len(idx))]
    la = np.array(nm.EN_LAST)[rng.integers(len(nm.EN_LAST), size=len(idx))]
    first[idx], last[idx], alt_first[idx], alt_last[idx] = f, la, f, la
    native[idx] = [f"{a} {b}" for a, b in zip(f, la, strict=True)]

    idx = np.flatnonzero(lang == "ru")
    fi = rng.integers(len(nm.RU_FIRST), size=len(idx))
    li = rng.integers(len(nm.RU_LAST), size=len(idx))
    rows = []
    for a, b in zip(fi, li, strict=True):
        cf, lf, af, female = nm.RU_FIRST[a]
        cl, ll, al = nm.RU_LAST[b]
        s_c, s_l = ("а", "a") if female else ("", "")
        rows.append((f"{cf} {cl}{s_c}", lf, ll + s_l, af, al + s_l))
    if rows:
        cols = list(zip(*rows, strict=True))
        native[idx], first[idx], last[idx], alt_first[idx], alt_last[idx] = (
            np.array(c, dtype=object) for c in cols
        )

    idx = np.flatnonzero(lang == "zh")
    si = rng.integers(len(nm.ZH_LAST), size=len(idx))
    gi = rng.integers(len(nm.ZH_FIRST), size=len(idx))
    native[idx] = [nm.ZH_LAST[a][0] + nm.ZH_FIRST[b][0] for a, b in zip(si, gi, strict=True)]
    first[idx] = [nm.ZH_FIRST[b][1] for b in gi]
    last[idx] = [nm.ZH_LAST[a][1] for a in si]
    alt_first[idx], alt_last[idx] = first[idx], last[idx]
    surname_first[idx] = True

    pattern = rng.integers(4, size=n)
    number = rng.integers(1, 99, size=n)
    business = np.array(SEGMENTS)[pop.segment] != "consumer"
    word = np.array(nm.BUSINESS_WORDS)[rng.integers(len(nm.BUSINESS_WORDS), size=n)]
    domain = np.where(
        business,
        np.char.add(word.astype(str), np.char.add(number.astype(str), ".example")),
        np.array(nm.PERSONAL_DOMAINS)[rng.integers(len(nm.PERSONAL_DOMAINS), size=n)],
    )
    email = np.array(
        [
            _local(f.lower(), la.lower(), p, k, biz) + "@" + d
            for f, la, p, k, biz, d in zip(
                first, last, pattern, number, business, domain, strict=True
            )
        ],
        dtype=object,
    )
    other = np.array(
        [
            _local(f.lower(), la.lower(), (p + 1) % 4, k + 7, False) + "@" + dom
            for f, la, p, k, dom in zip(
                first,
                last,
                pattern,
                number,
                np.array(nm.PERSONAL_DOMAINS)[rng.integers(len(nm.PERSONAL_DOMAINS), size=n)],
                strict=True,
            )
        ],
        dtype=object,
    )
    digits = np.empty(n, dtype=object)
    for code, prefix, count in (("en", None, 10), ("ru", "9", 9), ("zh", "1", 10)):
        idx = np.flatnonzero(lang == code)
        body = rng.integers(0, 10, size=(len(idx), count)).astype(str)
        if code == "en":
            body[:, 0] = rng.integers(2, 10, size=len(idx)).astype(str)
            body[:, 3] = rng.integers(2, 10, size=len(idx)).astype(str)
            digits[idx] = ["".join(r) for r in body]
        else:
            if code == "zh":
                body[:, 0] = np.array(["3", "5", "8"])[rng.integers(3, size=len(idx))]
            digits[idx] = [prefix + "".join(r) for r in body]
    return {
        "lang": lang,
        "native": native,
        "first": first,
        "last": last,
        "alt_first": alt_first,
        "alt_last": alt_last,
        "surname_first": surname_first,
        "email": email,
        "other_email": other,
        "digits": digits,
    }


def _local(first: str, last: str, pattern: int, number: int, business: bool) -> str:
    """Return the local part of an e-mail address built from Latin names."""
    if business:
        return (f"{first}.{last}", f"{first[0]}{last}", f"{first}", f"{last}.{first[0]}")[pattern]
    return (
        f"{first}.{last}",
        f"{first[0]}{last}{number}",
        f"{first}{last}{number}",
        f"{last}.{first}",
    )[pattern]


def _web_name(p: dict[str, np.ndarray], i: int, style: int, u: float) -> str:
    lang = p["lang"][i]
    first, last = p["first"][i], p["last"][i]
    if lang == "en":
        options = (
            f"{first} {last}",
            f"{first} {last}".lower(),
            f"{last}, {first}",
            f"{first}  {last}",
            f" {first} {last} ",
            f"{_typo(first, u)} {last}",
        )
    elif lang == "ru":
        options = (
            f"{first} {last}",
            f"{p['alt_first'][i]} {p['alt_last'][i]}",
            p["native"][i],
            p["native"][i].lower(),
            f"{last} {first}",
            f"{first} {_typo(last, u)}",
        )
    else:
        options = (
            f"{last} {first}",
            f"{first} {last}",
            p["native"][i],
            f"{last.upper()} {first}",
            f"{first.lower()} {last.lower()}",
            f"{p['native'][i][0]} {p['native'][i][1:]}",
        )
    return options[style]


def _support_name(p: dict[str, np.ndarray], i: int, style: int, u: float) -> str:
    lang = p["lang"][i]
    first, last = p["first"][i], p["last"][i]
    if lang == "en":
        options = (
            f"{first} {last}",
            f"{last} {first}".upper(),
            f"{first[0]}. {last}",
            f"{first} {_typo(last, u)}",
            f"{first} {last}  ",
            f"{last.upper()}, {first}",
        )
    elif lang == "ru":
        options = (
            p["native"][i],
            p["native"][i].upper(),
            f"{first} {last}",
            " ".join(reversed(p["native"][i].split(" "))),
            f"{p['alt_first'][i]} {p['alt_last'][i]}",
            f"{first[0]}. {last}",
        )
    else:
        options = (
            p["native"][i],
            f"{last} {first}",
            f"{last.upper()} {first.upper()}",
            f" {p['native'][i]}",
            f"{first} {last}",
            f"{last}{first}",
        )
    return options[style]


def build_identities(
    rng: np.random.Generator, pop: Population
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate the identity records of every customer, messy where real ones are.

    Args:
        rng: the random generator.
        pop: the customers.

    Returns:
        The canonical ``identities`` table (source, source_id, customer_id, email, phone, name,
        country) and the true links (source, source_id, customer_id) for every record.

    Example:
        >>> from cxlens.sample import generate
        >>> data = generate(customers=200, months=6, seed=1)
        >>> sorted(data.tables["identities"]["source"].unique())
        ['crm', 'support', 'web']
    """
    n = len(pop)
    p = _people(rng, pop)
    web = rng.random(n) < WEB_SHARE
    web2 = web & (rng.random(n) < WEB_SECOND_SHARE)
    support = rng.random(n) < SUPPORT_SHARE
    cust = np.concatenate(
        [np.arange(n), np.flatnonzero(web), np.flatnonzero(web2), np.flatnonzero(support)]
    )
    source = np.repeat(
        np.array(["crm", "web", "web", "support"]),
        [n, int(web.sum()), int(web2.sum()), int(support.sum())],
    )
    second = np.repeat(
        np.array([False, False, True, False]),
        [n, int(web.sum()), int(web2.sum()), int(support.sum())],
    )
    m = len(cust)
    style = rng.integers(6, size=m)
    u = rng.random(m)
    names = np.empty(m, dtype=object)
    for r in range(m):
        i = cust[r]
        if source[r] == "crm":
            names[r] = p["native"][i]
        elif source[r] == "web":
            names[r] = _web_name(p, i, style[r], u[r])
        else:
            names[r] = _support_name(p, i, style[r], u[r])

    # E-mail: CRM clean; others sometimes upper-cased, padded, another address or missing.
    e_kind = rng.choice(5, size=m, p=[0.68, 0.1, 0.05, 0.1, 0.07])
    e_kind[source == "crm"] = 0
    e_kind[second] = 3  # a second web account uses another address
    email = p["email"][cust].copy()
    upper = e_kind == 1
    email[upper] = [e.split("@")[0].title() + "@" + e.split("@")[1].title() for e in email[upper]]
    email[e_kind == 2] = [f" {e} " for e in email[e_kind == 2]]
    email[e_kind == 3] = p["other_email"][cust[e_kind == 3]]
    email[(e_kind == 4) & (source == "support")] = None

    ph_style = rng.integers(4, size=m)
    ph_style[source == "crm"] = 0
    phone = np.array(
        [_phone(p["lang"][i], p["digits"][i], s) for i, s in zip(cust, ph_style, strict=True)],
        dtype=object,
    )
    phone[(source != "crm") & (rng.random(m) < 0.12)] = None

    variants = {k: np.array(v, dtype=object) for k, v in nm.COUNTRIES.items()}
    c_style = rng.integers(4, size=m)
    c_style[source == "crm"] = 0
    lang = p["lang"][cust]
    country = np.empty(m, dtype=object)
    for code, options in variants.items():
        sel = lang == code
        country[sel] = options[c_style[sel]]
    country[(source != "crm") & (rng.random(m) < 0.35)] = None

    linked = np.ones(m, dtype=bool)
    linked[source == "web"] = rng.random(int((source == "web").sum())) < WEB_LINKED
    linked[source == "support"] = rng.random(int((source == "support").sum())) < SUPPORT_LINKED

    source_id = np.empty(m, dtype=object)
    for src, prefix, lo in (
        ("crm", "CRM-", 1_000_000),
        ("web", "W", 10_000_000),
        ("support", "SUP-", 100_000),
    ):
        sel = np.flatnonzero(source == src)
        nums = rng.choice(lo * 9, size=len(sel), replace=False) + lo
        source_id[sel] = [f"{prefix}{k}" for k in nums]

    order = np.lexsort((source_id.astype(str), source))
    ids = pop.ids[cust]
    table = pd.DataFrame(
        {
            "source": pd.Series(source[order], dtype="str"),
            "source_id": pd.Series(source_id[order], dtype="str"),
            "customer_id": pd.Series(np.where(linked, ids, None)[order], dtype="str"),
            "email": pd.Series(email[order], dtype="str"),
            "phone": pd.Series(phone[order], dtype="str"),
            "name": pd.Series(names[order], dtype="str"),
            "country": pd.Series(country[order], dtype="str"),
        }
    )
    links = pd.DataFrame(
        {
            "source": pd.Series(source[order], dtype="str"),
            "source_id": pd.Series(source_id[order], dtype="str"),
            "customer_id": pd.Series(ids[order], dtype="str"),
        }
    )
    return table, links
