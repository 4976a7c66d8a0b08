"""The polarity theme labels are signed with: the chosen backend's reading, as -1, 0, +1."""

from __future__ import annotations

import numpy as np
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


def test_themes_sign_labels_with_the_chosen_backend_read_cheaply(ws, monkeypatch):
    # the discovery's polarity reads with the backend the caller chose (lexicon), and by
    # default with the model's fast path, not its accurate one
    from cxlens.text import themes
    from cxlens.text.discover import ThemeModel
    from cxlens.text.namespace import Text

    used: list[str] = []
    real = themes.label_polarity

    def spy(backend):
        used.append(backend.name)
        return real(backend)

    monkeypatch.setattr(themes, "label_polarity", spy)
    texts = ["Far too expensive.", "The internet is slow.", "Fast internet, love it."] * 20
    ws.save_table(
        "feedback",
        pd.DataFrame(
            {"response_id": [f"R{i:02d}" for i in range(len(texts))],
             "responded_at": pd.Timestamp("2024-03-05"), "comment": texts}
        ),
    )  # fmt: skip
    for backend in ("lexicon", None):
        model = ThemeModel(n_themes=2, min_comments=10)
        Text(ws).themes(model=model, recent=1, table="feedback", backend=backend, save=False)
        assert all(c.signs is not None and np.isin(c.signs, (-1, 0, 1)).all()
                   for c in model.clusters_)  # fmt: skip
    assert used == ["lexicon", "model-fast"]
