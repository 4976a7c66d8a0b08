"""Text: language detection, multilingual sentiment and PII redaction, fully offline.

* :func:`detect_language`: language code and mixed-script flag per text.
* :func:`sentiment`: language, label (positive/neutral/negative), score in [-1, 1] and a
  status per text, with a pluggable backend (offline trained heads for en/ru/zh by default,
  the lexicons, or a local transformer model).
* :func:`redact` / :func:`redact_frame`: emails, phone numbers, card numbers and names
  replaced by tags before texts are quoted.
"""

from cxlens.text.backends import (
    DefaultBackend,
    LexiconBackend,
    ModelBackend,
    SentimentBackend,
    TransformerBackend,
)
from cxlens.text.clean import MAX_CHARS, clean
from cxlens.text.language import detect_language
from cxlens.text.redact import redact, redact_frame
from cxlens.text.sentiment import sentiment

__all__ = [
    "MAX_CHARS",
    "DefaultBackend",
    "LexiconBackend",
    "ModelBackend",
    "SentimentBackend",
    "TransformerBackend",
    "clean",
    "detect_language",
    "redact",
    "redact_frame",
    "sentiment",
]
