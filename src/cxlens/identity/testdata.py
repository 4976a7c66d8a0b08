"""Identity records with known true identities, messy the way CRM and loyalty exports are.

:func:`generate_identities` draws people (English and Russian names, dates of birth, UK
addresses and phones, e-mail addresses) and writes each of them into several sources: the CRM,
a loyalty programme, a web shop and a help desk, with a few duplicate records within a source.
Every record but a person's first is corrupted at realistic rates:

* names: a typo (swapped, dropped, doubled or replaced letter), first and last name swapped, a
  nickname ("Bob" for "Robert"), the initial only, Cyrillic instead of Latin (or another Latin
  spelling), "LAST, First", upper or lower case and stray spaces;
* e-mail: missing, another address of the person, upper case or padding, malformed;
* phone: missing, another format ("+44 7700 900123", "07700 900123", "(07700) 900-123"), an
  old number, malformed;
* date of birth: missing, day and month swapped, another format ("03.04.1985");
* address: missing, the person moved (a new address and postcode), a typo, "Street"/"St".

The true person of every record comes back in ``truth`` so linkage can be scored. Generation
is vectorised where it counts and about 10 s per million records.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxlens.errors import ArgumentError
from cxlens.sample import names as nm

#: Sources, the share of people each holds, and the share of records with a duplicate.
SOURCES: dict[str, tuple[float, float]] = {
    "crm": (0.8, 0.03),
    "loyalty": (0.5, 0.02),
    "web": (0.6, 0.05),
    "support": (0.35, 0.02),
}
#: Share of people with Russian names (their records mix Cyrillic and Latin spellings).
RUSSIAN_SHARE = 0.2

EXTRA_FIRST = (
    "Robert", "William", "Elizabeth", "Katherine", "Michael", "James", "John", "David", "Daniel",
    "Thomas", "Christopher", "Matthew", "Andrew", "Anthony", "Steven", "Jennifer", "Susan",
    "Patricia", "Richard", "Joseph", "Charles", "Margaret", "Alice", "Amelia", "Isla", "Ava",
    "Mia", "Ivy", "Freya", "Lily", "Florence", "Evie", "Rosie", "Ella", "Harriet", "Oliver",
    "George", "Harry", "Noah", "Leo", "Arthur", "Oscar", "Theo", "Henry", "Archie", "Jacob",
    "Alfie", "Freddie", "Edward", "Samuel", "Joshua", "Benjamin", "Isaac", "Lucas", "Ethan",
    "Adam", "Zachary", "Nathan", "Ryan", "Callum", "Connor", "Owen", "Lewis", "Luke", "Jake",
    "Emma", "Lucy", "Ruby", "Holly", "Abigail", "Rebecca", "Victoria", "Natalie", "Rachel",
    "Amy", "Helen", "Claire", "Joanne", "Nicola", "Louise", "Fiona", "Gemma", "Zoe", "Imogen",
)  # fmt: skip
EXTRA_LAST = (
    "Evans", "Wood", "Hughes", "Edwards", "Robinson", "Cooper", "Ward", "Morris", "Bell",
    "Cook", "Bailey", "Murphy", "Richardson", "Cox", "Howard", "Morgan", "Price", "Bennett",
    "Gray", "Fisher", "Marshall", "Ellis", "Palmer", "Russell", "Lloyd", "Webb", "Owen",
    "Graham", "Harrison", "Stevens", "Chapman", "Mason", "Reid", "Ross", "Hunt", "Knight",
    "Hamilton", "Butler", "Fraser", "Murray", "Kennedy", "Barnes", "Holmes", "Mills", "Rose",
    "Dixon", "Shaw", "Hunter", "Jenkins", "Powell", "Perry", "Sutton", "Spencer", "Lawrence",
    "Watson", "Jameson", "Brooks", "Kelly", "Foster", "Simpson", "Gibson", "Pearce", "Hart",
    "Fletcher", "Lane", "Burton", "Barker", "Doyle", "Day", "Grant", "Walsh", "Hale", "Stone",
    "Booth", "Hodgson", "Payne", "Hudson", "Lambert", "Ferguson", "Dawson", "Atkinson", "Kerr",
    "Burns", "Newton", "Hayes", "Whitehead", "Henderson", "Pearson", "Francis", "Armstrong",
    "Gardner", "Nash", "Rhodes", "Bishop", "Sharp", "Hurst", "Field", "Quinn", "Norris",
)  # fmt: skip
NICKNAMES = {
    "Robert": ("Bob", "Rob"), "William": ("Bill", "Will"), "Elizabeth": ("Liz", "Beth"),
    "Katherine": ("Kate", "Katie"), "Michael": ("Mike",), "James": ("Jim", "Jimmy"),
    "John": ("Jack", "Johnny"), "David": ("Dave",), "Daniel": ("Dan", "Danny"),
    "Thomas": ("Tom",), "Christopher": ("Chris",), "Matthew": ("Matt",), "Andrew": ("Andy",),
    "Anthony": ("Tony",), "Steven": ("Steve",), "Jennifer": ("Jen", "Jenny"), "Susan": ("Sue",),
    "Patricia": ("Pat",), "Richard": ("Rick", "Dick"), "Joseph": ("Joe",),
    "Charles": ("Charlie",), "Margaret": ("Maggie", "Meg"),
}  # fmt: skip
STREETS = (
    "High", "Station", "Main", "Park", "Church", "London", "Victoria", "Green", "Manor",
    "Kings", "Queens", "Mill", "New", "Grange", "Albert", "York", "Chester", "Windsor",
    "Oak", "Elm", "Cedar", "Willow", "Beech", "Maple", "Meadow", "Orchard", "Springfield",
    "Highfield", "Broad", "North", "South", "West", "East", "Bridge", "Castle", "Market",
)  # fmt: skip
STREET_KINDS = ("Street", "Road", "Lane", "Avenue", "Close", "Drive", "Way", "Crescent")
SHORT_KINDS = {"Street": "St", "Road": "Rd", "Lane": "Ln", "Avenue": "Ave", "Drive": "Dr"}
CITIES = (
    "London", "Leeds", "Bristol", "Manchester", "Sheffield", "Norwich", "York", "Bath",
    "Oxford", "Reading", "Derby", "Exeter", "Cardiff", "Glasgow", "Leicester", "Brighton",
)  # fmt: skip
DOMAINS = ("mail.example", "post.example", "inbox.example", "webmail.example", "fast.example")
LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass
class IdentitySample:
    """Generated identity records and the true person of each.

    ``records`` has the identities columns (source, source_id, name or first_name/last_name,
    email, phone, birth_date, address, postcode, city, country, updated_at); ``truth`` has
    source, source_id and person_id.
    """

    records: pd.DataFrame
    truth: pd.DataFrame


def _typo(text: str, kind: int, pos: float, letter: int) -> str:
    """Apply one typo to ``text`` (never to its first letter): swap, drop, double or replace."""
    if len(text) < 3:
        return text
    i = 1 + int(pos * (len(text) - 2))
    if kind == 0:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind == 1:
        return text[:i] + text[i + 1 :]
    if kind == 2:
        return text[:i] + text[i] + text[i:]
    return text[:i] + LETTERS[letter] + text[i + 1 :]


def _people(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Draw ``n`` people: names in Latin (and Cyrillic), birth dates, addresses, contacts."""
    first_pool = np.array(sorted(set(nm.EN_FIRST) | set(EXTRA_FIRST)), dtype=object)
    last_pool = np.array(sorted(set(nm.EN_LAST) | set(EXTRA_LAST)), dtype=object)
    russian = rng.random(n) < RUSSIAN_SHARE
    first = first_pool[rng.integers(len(first_pool), size=n)]
    last = last_pool[rng.integers(len(last_pool), size=n)]
    alt_first, alt_last = first.copy(), last.copy()
    cyr_first = np.full(n, None, dtype=object)
    cyr_last = np.full(n, None, dtype=object)
    idx = np.flatnonzero(russian)
    fi = rng.integers(len(nm.RU_FIRST), size=len(idx))
    li = rng.integers(len(nm.RU_LAST), size=len(idx))
    for j, a, b in zip(idx, fi, li, strict=True):
        cf, lf, af, female = nm.RU_FIRST[a]
        cl, ll, al = nm.RU_LAST[b]
        end_c, end_l = ("а", "a") if female else ("", "")
        first[j], alt_first[j], cyr_first[j] = lf, af, cf
        last[j], alt_last[j], cyr_last[j] = ll + end_l, al + end_l, cl + end_c
    born = np.datetime64("1940-01-01") + rng.integers(0, 365 * 65, size=n).astype("timedelta64[D]")
    house = rng.integers(1, 200, size=n)
    street = np.array(STREETS, dtype=object)[rng.integers(len(STREETS), size=n)]
    kind = np.array(STREET_KINDS, dtype=object)[rng.integers(len(STREET_KINDS), size=n)]
    city = rng.integers(len(CITIES), size=n)
    postcode = [_postcode(rng, c) for c in city]
    digits = ["7" + "".join(map(str, row)) for row in rng.integers(0, 10, size=(n, 9))]
    pattern = rng.integers(4, size=n)
    number = rng.integers(1, 99, size=n)
    domain = np.array(DOMAINS, dtype=object)[rng.integers(len(DOMAINS), size=n)]
    person = np.array([f"P{k:08d}" for k in range(n)], dtype=object)
    email = [
        _email(f, la, p, k, d, pid)
        for f, la, p, k, d, pid in zip(first, last, pattern, number, domain, person, strict=True)
    ]
    other_email = [
        _email(f, la, (p + 1) % 4, k + 11, "work.example", pid)
        for f, la, p, k, pid in zip(first, last, pattern, number, person, strict=True)
    ]
    return pd.DataFrame(
        {
            "person_id": person,
            "russian": russian,
            "first": first,
            "last": last,
            "alt_first": alt_first,
            "alt_last": alt_last,
            "cyr_first": cyr_first,
            "cyr_last": cyr_last,
            "born": born,
            "address": [f"{h} {s} {k}" for h, s, k in zip(house, street, kind, strict=True)],
            "city": np.array(CITIES, dtype=object)[city],
            "postcode": postcode,
            "digits": digits,
            "email": email,
            "other_email": other_email,
        }
    )


def _postcode(rng: np.random.Generator, city: int) -> str:
    area = CITIES[city][:2].upper()
    return f"{area}{rng.integers(1, 30)} {rng.integers(1, 10)}{LETTERS[rng.integers(26)].upper()}{LETTERS[rng.integers(26)].upper()}"  # noqa: E501


def _email(first: str, last: str, pattern: int, number: int, domain: str, person: str) -> str:
    # the person id's digits keep addresses unique, as real mailbox providers do
    tag = int(person[1:]) % 9973
    local = (
        f"{first}.{last}{tag}",
        f"{first[0]}{last}{number}{tag}",
        f"{first}{last}{tag}",
        f"{last}.{first}{tag}",
    )[pattern].lower()
    return f"{local}@{domain}"


def _phone_text(digits: str, style: int) -> str:
    """Write a UK mobile number (10 national digits) in one of five ways."""
    a, b = digits[:4], digits[4:]
    return (
        f"+44{digits}",
        f"0{a} {b}",
        f"+44 {a} {b}",
        f"(0{a}) {b[:3]}-{b[3:]}",
        f"0044 {digits}",
    )[style]


def generate_identities(people: int = 2000, seed: int = 7) -> IdentitySample:
    """Generate identity records of ``people`` people across four sources, with the truth.

    Args:
        people: how many people to draw (about 2.4 records each).
        seed: generator seed (the same seed gives the same records).

    Returns:
        IdentitySample with ``records`` (the identities columns) and ``truth``.

    Example:
        >>> sample = generate_identities(people=100, seed=1)
        >>> sorted(sample.records["source"].unique())
        ['crm', 'loyalty', 'support', 'web']
    """
    if people < 1:
        raise ArgumentError(f"people must be at least 1, not {people}")
    rng = np.random.default_rng(seed)
    folk = _people(rng, people)
    owner_parts, source_parts = [], []
    for source, (share, dup) in SOURCES.items():
        holds = np.flatnonzero(rng.random(people) < share)
        twice = holds[rng.random(len(holds)) < dup]
        owners = np.concatenate([holds, twice])
        owner_parts.append(owners)
        source_parts.append(np.full(len(owners), source, dtype=object))
    owner = np.concatenate(owner_parts)
    source = np.concatenate(source_parts)
    # every person is in at least one source: those in none go to the CRM
    missing = np.setdiff1d(np.arange(people), owner)
    owner = np.concatenate([owner, missing])
    source = np.concatenate([source, np.full(len(missing), "crm", dtype=object)])
    order = rng.permutation(len(owner))
    owner, source = owner[order], source[order]
    # a person's first record (in this order) is clean; the others get corrupted
    first_seen = np.zeros(len(owner), dtype=bool)
    first_seen[np.unique(owner, return_index=True)[1]] = True
    records = _records(rng, folk, owner, source, ~first_seen)
    truth = pd.DataFrame(
        {
            "source": records["source"],
            "source_id": records["source_id"],
            "person_id": folk["person_id"].to_numpy()[owner],
        }
    )
    return IdentitySample(records=records, truth=truth)


def _records(
    rng: np.random.Generator,
    folk: pd.DataFrame,
    owner: np.ndarray,
    source: np.ndarray,
    noisy: np.ndarray,
) -> pd.DataFrame:
    m = len(owner)
    p = {col: folk[col].to_numpy()[owner] for col in folk.columns}
    u = rng.random((m, 24))
    ints = rng.integers(0, 1_000_000, size=(m, 8))

    def hit(col: int, rate: float) -> np.ndarray:
        return noisy & (u[:, col] < rate)

    first, last = p["first"].copy(), p["last"].copy()
    # Russian people: Cyrillic in the CRM and help desk half the time, another spelling elsewhere
    cyr = p["russian"] & (u[:, 0] < 0.5) & np.isin(source, ("crm", "support"))
    first[cyr], last[cyr] = p["cyr_first"][cyr], p["cyr_last"][cyr]
    alt = p["russian"] & ~cyr & hit(1, 0.4)
    first[alt], last[alt] = p["alt_first"][alt], p["alt_last"][alt]
    nick = hit(2, 0.08) & ~p["russian"]
    for i in np.flatnonzero(nick):
        options = NICKNAMES.get(first[i])
        if options:
            first[i] = options[ints[i, 0] % len(options)]
    typo_first, typo_last = hit(3, 0.06), hit(4, 0.08)
    for i in np.flatnonzero(typo_first):
        first[i] = _typo(first[i], ints[i, 1] % 4, u[i, 5], ints[i, 2] % 26)
    for i in np.flatnonzero(typo_last):
        last[i] = _typo(last[i], ints[i, 3] % 4, u[i, 6], ints[i, 4] % 26)
    initial = hit(7, 0.03)
    first[initial] = [f"{f[0]}." for f in first[initial]]
    swap = hit(8, 0.06)
    first[swap], last[swap] = last[swap].copy(), first[swap].copy()

    # the CRM and loyalty programme keep first and last name; the others a full name
    split = np.isin(source, ("crm", "loyalty"))
    style = ints[:, 5] % 6
    full = np.empty(m, dtype=object)
    for i in np.flatnonzero(~split):
        f, la = first[i], last[i]
        full[i] = (
            f"{f} {la}",
            f"{la}, {f}",
            f"{f} {la}".upper(),
            f"{f} {la}".lower(),
            f"  {f}  {la} ",
            f"{la.upper()}, {f}",
        )[style[i] if noisy[i] else 0]
    name = np.where(split, None, full)
    first_col = np.where(split, first, None)
    last_col = np.where(split, last, None)

    email = p["email"].copy()
    other = hit(9, 0.12)
    email[other] = p["other_email"][other]
    upper = hit(10, 0.15)
    email[upper] = [
        f" {e.upper()} " if k % 2 else e.title()
        for e, k in zip(email[upper], ints[upper, 6], strict=True)
    ]
    bad_email = hit(11, 0.01)
    email[bad_email] = [e.replace("@", " at ") for e in email[bad_email]]
    email[hit(12, 0.2)] = None

    ph_style = np.where(noisy, ints[:, 7] % 5, 0)
    phone = np.array(
        [_phone_text(d, s) for d, s in zip(p["digits"], ph_style, strict=True)], dtype=object
    )
    old = hit(13, 0.05)
    phone[old] = [f"+447{k:09d}" for k in ints[old, 0] * 997 % 1_000_000_000]
    bad_phone = hit(14, 0.01)
    phone[bad_phone] = [x[:6] for x in phone[bad_phone]]
    phone[hit(15, 0.25)] = None

    born = pd.to_datetime(p["born"])
    swap_dm = hit(16, 0.03) & (born.day.to_numpy() <= 12)
    y, mo, d = born.year.to_numpy(), born.month.to_numpy(), born.day.to_numpy()
    mo2, d2 = np.where(swap_dm, d, mo), np.where(swap_dm, mo, d)
    dotted = hit(17, 0.3)
    birth = np.array(
        [
            f"{dd:02d}.{mm:02d}.{yy}" if dot else f"{yy}-{mm:02d}-{dd:02d}"
            for yy, mm, dd, dot in zip(y, mo2, d2, dotted, strict=True)
        ],
        dtype=object,
    )
    birth[hit(18, 0.25) | (source == "web") & (u[:, 19] < 0.5)] = None

    address = p["address"].copy()
    postcode = p["postcode"].copy()
    city = p["city"].copy()
    moved = hit(20, 0.1)
    address[moved] = [
        f"{1 + k % 199} {STREETS[k % len(STREETS)]} {STREET_KINDS[k % len(STREET_KINDS)]}"
        for k in ints[moved, 1]
    ]
    postcode[moved] = [
        f"{c[:2].upper()}{1 + k % 29} {k % 9 + 1}AB"
        for c, k in zip(city[moved], ints[moved, 2], strict=True)
    ]
    short = hit(21, 0.2)
    for i in np.flatnonzero(short):
        kind = address[i].rsplit(" ", 1)[-1]
        if kind in SHORT_KINDS:
            address[i] = address[i][: -len(kind)] + SHORT_KINDS[kind]
    typo_addr = hit(22, 0.05)
    for i in np.flatnonzero(typo_addr):
        address[i] = _typo(address[i], ints[i, 3] % 4, u[i, 5], ints[i, 4] % 26)
    gone = hit(23, 0.3)
    address[gone], postcode[gone] = None, None

    updated = np.datetime64("2020-01-01") + (u[:, 19] * 365 * 5).astype("timedelta64[D]")
    updated = np.where(moved, updated + np.timedelta64(400, "D"), updated)
    prefix = {"crm": "CRM-", "loyalty": "L", "web": "W", "support": "SUP-"}
    source_id = np.empty(m, dtype=object)
    for src, pre in prefix.items():
        sel = np.flatnonzero(source == src)
        nums = rng.permutation(len(sel)) + 100_000
        source_id[sel] = [f"{pre}{k}" for k in nums]
    frame = pd.DataFrame(
        {
            "source": source,
            "source_id": source_id,
            "name": name,
            "first_name": first_col,
            "last_name": last_col,
            "email": email,
            "phone": phone,
            "birth_date": birth,
            "address": address,
            "postcode": postcode,
            "city": city,
            "country": "GB",
            "updated_at": pd.to_datetime(updated).astype("datetime64[us]"),
        }
    )
    for col in frame.columns:
        if col != "updated_at":
            frame[col] = frame[col].astype("str")
    return frame
