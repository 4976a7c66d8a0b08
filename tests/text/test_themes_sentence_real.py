"""Each theme membership of real comments is scored by its own theme sentence.

The real samples of ``tests/fixtures/real/text/themes_*.csv`` (airline tweets, Russian
telecom tweets, Chinese reviews; provenance in ``tests/fixtures/real/README.md``): themes
are found and every comment assigned; then, apart from the themes pass, each membership's
theme sentence is checked to be a sentence of its comment and scored again by the same
scorer through the public sentiment API.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlens.text.clean import clean
from cxlens.text.discover import ThemeModel, split_sentences
from cxlens.text.namespace import Text
from cxlens.text.quote import locate
from cxlens.text.sentiment import sentiment
from cxlens.text.themes import SENTENCE_ACCURATE_BUDGET
from tests.text.test_themes_real import FIXTURES, SETS


@pytest.mark.slow  # themes of each real corpus, then every theme sentence scored again
@pytest.mark.parametrize("lang", ["en", "ru", "zh"])
def test_each_membership_is_scored_by_its_theme_sentence(lang, ws, tmp_path):
    texts = [
        c.text
        for c in clean(pd.read_csv(FIXTURES / SETS[lang])["text"].tolist())
        if c.status == "ok"
    ]
    ids = [f"R{i}" for i in range(len(texts))]
    # responses need a score to load; the constant 5 is not used by any check here
    rows = pd.DataFrame(
        {"response_id": ids, "responded_at": pd.Timestamp("2024-01-05"), "nps": 5, "comment": texts}
    )
    rows.to_csv(tmp_path / "r.csv", index=False)
    ws.ingest(tmp_path / "r.csv", table="responses")
    model = ThemeModel(seed=0).fit(texts, [lang] * len(texts))
    result = Text(ws).themes(model=model, recent=1)
    comment = dict(zip(ids, texts, strict=True))
    members = result.assignments.dropna(subset=["theme"])
    assert len(members) > 0.5 * len(texts) and (members["language"] == lang).all()

    # the member sentence is a sentence of its comment (or the whole comment) and is
    # written in it (its words in order, the left-out noise aside)
    for rid, said in zip(members["response_id"], members["sentence"], strict=True):
        sentences = split_sentences([comment[rid]])[0]
        assert said in sentences or said == comment[rid], (rid, said)
        assert locate(comment[rid], said) is not None, (rid, said)

    # a sentence that is its whole comment keeps the comment's own score (saved apart);
    # none of the airline tweets' (each starts with an @handle, left out of its sentence)
    whole = members["sentence"].str.strip() == members["response_id"].map(comment).str.strip()
    scores = ws.table("comment_sentiment").execute().set_index("response_id")
    own = members[whole]
    np.testing.assert_allclose(
        own["sentiment"].to_numpy(float), scores.loc[own["response_id"], "score"].to_numpy(float)
    )
    assert own["sentiment_label"].tolist() == scores.loc[own["response_id"], "label"].tolist()

    # the others are read by the model: its accurate path for the most frequent distinct
    # sentences, up to its budget, the fast head for the rest; each is scored here again,
    # apart, both ways, in the comment's language, and must be one of the two readings
    part = members[~whole]
    assert len(part) > 0
    assert (part.groupby("sentence")["sentiment"].nunique(dropna=False) == 1).all()
    counts = part["sentence"].value_counts()
    distinct = counts.index.tolist()
    accurate = sentiment(distinct, backend="accurate", language=lang)
    fast = sentiment(distinct, backend="fast", language=lang)
    got = part.drop_duplicates("sentence").set_index("sentence")
    read_accurately = []
    for i, said in enumerate(distinct):
        score, label = got.loc[said, "sentiment"], got.loc[said, "sentiment_label"]
        as_accurate = score == pytest.approx(accurate["score"][i], abs=1e-5) and (
            label == accurate["label"][i]
        )
        as_fast = score == pytest.approx(fast["score"][i], abs=1e-5) and label == fast["label"][i]
        assert as_accurate != as_fast, (said, score, accurate["score"][i], fast["score"][i])
        read_accurately.append(as_accurate)
    read_accurately = np.array(read_accurately)
    assert read_accurately.sum() == min(len(distinct), SENTENCE_ACCURATE_BUDGET)
    if not read_accurately.all():  # the most frequent first
        assert counts[read_accurately].min() >= counts[~read_accurately].max()
