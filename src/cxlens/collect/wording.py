"""The standard questions of each survey kind, their scales and their wording per language.

The English wording follows the published instruments: NPS from Reichheld (2003), "The One
Number You Need to Grow", Harvard Business Review 81(12); CES 2.0 from CEB/Gartner (2013), the
7-point agreement form that replaced the 1-5 effort question of Dixon, Freeman and Toman
(2010), "Stop Trying to Delight Your Customers", HBR 88(7); CSAT in its common 5-point form
(very dissatisfied to very satisfied), whose top-2-box share is cxlens' CSAT. The Russian and
Chinese texts are cxlens' translations of those. docs/collect.md gives the reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Survey kinds: the ``responses`` column each fills and its scale (lowest, highest).
SCALES: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}

#: The parts of a question's wording a user can give or override for a language.
WORDING_KEYS = ("question", "low", "high", "follow_up")


@dataclass(frozen=True)
class Wording:
    """One survey kind's texts in one language; ``{company}`` is filled from the survey.

    Example:
        >>> STANDARD["nps"]["en"].render("Acme").question
        'How likely is it that you would recommend Acme to a friend or colleague?'
    """

    question: str
    low: str
    high: str
    follow_up: str

    def render(self, company: str) -> Wording:
        """Return the wording with ``{company}`` replaced by the survey's company name."""
        return Wording(*(text.replace("{company}", company) for text in self.as_tuple()))

    def as_tuple(self) -> tuple[str, str, str, str]:
        """Return (question, low, high, follow_up)."""
        return (self.question, self.low, self.high, self.follow_up)


_FOLLOW_UP = {
    "en": "What is the main reason for your score?",
    "ru": "Какова главная причина вашей оценки?",
    "zh": "您给出这个评分的主要原因是什么？",
}

#: {kind: {language: wording}}: the wording cxlens ships.
STANDARD: dict[str, dict[str, Wording]] = {
    "nps": {
        "en": Wording(
            "How likely is it that you would recommend {company} to a friend or colleague?",
            "Not at all likely",
            "Extremely likely",
            _FOLLOW_UP["en"],
        ),
        "ru": Wording(
            "Насколько вероятно, что вы порекомендуете {company} другу или коллеге?",
            "Совершенно маловероятно",
            "Очень вероятно",
            _FOLLOW_UP["ru"],
        ),
        "zh": Wording(
            "您有多大可能向朋友或同事推荐{company}？",
            "完全不可能",
            "极有可能",
            _FOLLOW_UP["zh"],
        ),
    },
    "csat": {
        "en": Wording(
            "Overall, how satisfied were you with your experience with {company}?",
            "Very dissatisfied",
            "Very satisfied",
            _FOLLOW_UP["en"],
        ),
        "ru": Wording(
            "В целом, насколько вы удовлетворены взаимодействием с {company}?",
            "Совсем не удовлетворён",
            "Полностью удовлетворён",
            _FOLLOW_UP["ru"],
        ),
        "zh": Wording(
            "总体而言，您对这次与{company}的体验满意吗？",
            "非常不满意",
            "非常满意",
            _FOLLOW_UP["zh"],
        ),
    },
    "ces": {
        "en": Wording(
            "{company} made it easy for me to handle my issue.",
            "Strongly disagree",
            "Strongly agree",
            _FOLLOW_UP["en"],
        ),
        "ru": Wording(
            "{company} позволили мне легко решить мой вопрос.",
            "Полностью не согласен",
            "Полностью согласен",
            _FOLLOW_UP["ru"],
        ),
        "zh": Wording(
            "{company}让我能够轻松地处理我的问题。",
            "非常不同意",
            "非常同意",
            _FOLLOW_UP["zh"],
        ),
    },
}
