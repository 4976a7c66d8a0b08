"""The polarity theme labels are signed with: the chosen backend's reading, as -1, 0, +1."""

from __future__ import annotations

import pandas as pd

from cxlens.text.backends import LexiconBackend, ModelBackend
from cxlens.text.polarity import label_polarity
from cxlens.text.sentiment import sentiment

SENTENCES = ["Awful service, never again.", "Thank you, all fixed.", "I called on Monday."]


def test_signs_are_the_backends_labels():
    # by hand: a complaint, a thanks, a plain statement
    assert label_polarity(ModelBackend(mode="fast"))(SENTENCES, "en").tolist() == [-1, 1, 0]
    lexicon = sentiment(SENTENCES, backend="lexicon", language="en")["label"]
    want = [{"negative": -1, "neutral": 0, "positive": 1}[v] for v in lexicon]
    assert label_polarity(LexiconBackend())(SENTENCES, "en").tolist() == want


def test_a_language_the_backend_does_not_read_is_unsigned():
    read = label_polarity(ModelBackend(mode="fast"))
    assert read(["Terrible servicio, nunca más."], "es").tolist() == [0]
    assert read([], "en").tolist() == []


def test_themes_sign_labels_as_their_theme_sentences_are_read(ws):
    # the discovery's polarity reads with the backend the caller chose (the lexicon); by
    # default as the members' theme sentences are read: a frequent sentence by the accurate
    # path, so the fast head's misreading of fair-price praise (negative) signs no label
    from cxlens.text.discover import ThemeModel
    from cxlens.text.namespace import Text

    praise = "The price is fair for what you get."
    assert sentiment([praise], backend="fast")["label"].tolist() == ["negative"]
    assert sentiment([praise], backend="accurate")["label"].tolist() == ["positive"]
    texts = [praise, "Way overpriced for what it is.", "The internet is slow."] * 20
    ws.save_table(
        "feedback",
        pd.DataFrame(
            {"response_id": [f"R{i:02d}" for i in range(len(texts))],
             "responded_at": pd.Timestamp("2024-03-05"), "comment": texts}
        ),
    )  # fmt: skip
    expected = {
        "lexicon": dict(zip(texts[:3], label_polarity(LexiconBackend())(texts[:3], "en"),
                            strict=True)),
        None: {praise: 1, "Way overpriced for what it is.": -1},
    }  # fmt: skip
    for backend, signs in expected.items():
        model = ThemeModel(n_themes=2, min_comments=10)
        Text(ws).themes(model=model, recent=1, table="feedback", backend=backend, save=False)
        read = {s: int(v) for c in model.clusters_ for s, v in zip(c.sentences, c.signs,
                                                                      strict=True)}  # fmt: skip
        assert {s: read[s] for s in signs} == signs, backend
