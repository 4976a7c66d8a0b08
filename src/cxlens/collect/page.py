"""The hosted survey page: one small HTML document, no script, no external font or file.

The page is built on the server in the invitation's language: the survey's own wording
for the question, the scale's ends and the follow-up, and the page's few words of its own
(:data:`UI`) in English, Russian or Chinese (English for a language added by a survey).
The score is a group of radio buttons in a ``fieldset`` whose ``legend`` is the question,
so a screen reader announces it; the targets are at least 44 CSS pixels high and wrap on a
360-pixel phone screen. It is a plain form post, so it works with scripts off.
"""

from __future__ import annotations

import html
from typing import Any

from cxlens.collect.definitions import Survey

#: The page's own words per language (the questions come from the survey's wording).
UI: dict[str, dict[str, str]] = {
    "en": {
        "title": "Survey", "send": "Send", "optional": "optional", "choose": "Choose a score",
        "thanks": "Thank you! Your answer is recorded.",
        "score": "Your score: {score}. Thank you!",
        "problem": "This link cannot be used", "check": "Please check your answer",
        "invalid": "This survey link is not valid. Please use the link from your e-mail.",
        "expired": "This survey link has expired.",
        "answered": "This survey was answered already. Thank you!",
    },
    "ru": {
        "title": "Опрос", "send": "Отправить", "optional": "необязательно",
        "choose": "Выберите оценку",
        "thanks": "Спасибо! Ваш ответ записан.",
        "score": "Ваша оценка: {score}. Спасибо!",
        "problem": "Эту ссылку нельзя использовать", "check": "Проверьте ответ",
        "invalid": "Ссылка на опрос недействительна. Откройте ссылку из письма.",
        "expired": "Срок действия ссылки на опрос истёк.",
        "answered": "На этот опрос уже ответили. Спасибо!",
    },
    "zh": {
        "title": "问卷调查", "send": "提交", "optional": "选填", "choose": "请选择评分",
        "thanks": "谢谢！您的回答已记录。",
        "score": "您的评分：{score}。谢谢！",
        "problem": "此链接无法使用", "check": "请检查您的回答",
        "invalid": "此调查链接无效。请使用邮件中的链接。",
        "expired": "此调查链接已过期。",
        "answered": "此调查已经回答过了。谢谢！",
    },
}  # fmt: skip

_STYLE = """
*{box-sizing:border-box}body{font:17px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,
"Noto Sans",sans-serif;margin:0;padding:16px;color:#1a1a1a;background:#fafafa}
main{max-width:34rem;margin:0 auto}fieldset{border:0;margin:0 0 1.2rem;padding:0}
legend{font-weight:600;font-size:1.1rem;margin-bottom:.6rem;padding:0}
.scale{display:flex;flex-wrap:wrap;gap:4px}.scale label{flex:1 0 2.6rem;position:relative}
.scale input{position:absolute;opacity:0;width:100%;height:100%;margin:0}
.scale span{display:block;min-height:44px;line-height:44px;text-align:center;
border:1px solid #6b6b6b;border-radius:6px;background:#fff}
.scale input:checked+span{background:#1d4f91;color:#fff;border-color:#1d4f91}
.scale input:focus-visible+span{outline:3px solid #e8a317;outline-offset:2px}
.ends{display:flex;justify-content:space-between;font-size:.85rem;color:#4a4a4a}
textarea{width:100%;min-height:6rem;font:inherit;padding:.5rem;border:1px solid #6b6b6b;
border-radius:6px}button{font:inherit;min-height:44px;padding:0 1.4rem;border:0;
border-radius:6px;background:#1d4f91;color:#fff}label.q{display:block;font-weight:600;
margin-bottom:.4rem}.note{padding:.8rem;border-radius:6px;background:#e8f0fb}
.error{background:#fdecea}
"""


def ui_language(language: str | None) -> str:
    """Return the language of the page's own words: ``language`` when offered, else en.

    Example:
        >>> ui_language("ru"), ui_language("de")
        ('ru', 'en')
    """
    return language if language in UI else "en"


def ask_page(survey: Survey, language: str | None, token: str) -> str:
    """Return the page asking the score (and the follow-up and drivers) of an invitation.

    Example:
        >>> from cxlens.collect.definitions import parse_survey
        >>> s = parse_survey({"name": "n", "kind": "nps", "company": "Acme",
        ...                   "trigger": {"touchpoint": "t"}})
        >>> ask_page(s, "en", "TOKEN").count('name="score"')
        11
    """
    lang = survey.language_for(language)
    words, ui = survey.wording_for(lang), UI[ui_language(lang)]
    low, high = survey.scale
    parts = [_scale("score", words.question, low, high, words.low, words.high, required=True)]
    for driver in survey.drivers:
        question = driver.question.get(lang, driver.question[survey.languages[0]])
        parts.append(_scale(f"driver_{driver.name}", f"{question} ({ui['optional']})", 0, 10))
    if survey.follow_up:
        parts.append(_comment(words.follow_up, ui["optional"]))
    return _document(lang, ui["title"], _form(token, "".join(parts), ui["send"]))


def follow_up_page(survey: Survey, language: str | None, token: str, score: int) -> str:
    """Return the page shown after a one-tap score: thanks, and the follow-up question.

    Example:
        >>> from cxlens.collect.definitions import parse_survey
        >>> s = parse_survey({"name": "n", "kind": "nps", "company": "Acme",
        ...                   "languages": ["en", "ru"], "trigger": {"touchpoint": "t"}})
        >>> "Ваша оценка: 9" in follow_up_page(s, "ru", "TOKEN", 9)
        True
    """
    lang = survey.language_for(language)
    words, ui = survey.wording_for(lang), UI[ui_language(lang)]
    note = f'<p class="note" role="status">{html.escape(ui["score"].format(score=score))}</p>'
    if not survey.follow_up:
        return _document(lang, ui["title"], note)
    form = _form(token, _comment(words.follow_up, ui["optional"]), ui["send"])
    return _document(lang, ui["title"], note + form)


def thanks_page(language: str | None) -> str:
    """Return the page shown once an answer is stored.

    Example:
        >>> "Спасибо" in thanks_page("ru")
        True
    """
    ui = UI[ui_language(language)]
    return _document(language or "en", ui["title"],
                     f'<p class="note" role="status">{html.escape(ui["thanks"])}</p>')  # fmt: skip


def problem_page(language: str | None, kind: str, detail: str | None = None) -> str:
    """Return the page saying why a link cannot be used or an answer was refused.

    ``kind`` is invalid, expired or answered for the link; any other kind shows ``detail``.

    Example:
        >>> "已过期" in problem_page("zh", "expired")
        True
    """
    ui = UI[ui_language(language)]
    link = kind in ("invalid", "expired", "answered")
    text = ui[kind] if link else (detail or "")
    title = ui["problem"] if link else ui["check"]
    body = (f'<h1>{html.escape(title)}</h1>'
            f'<p class="note error" role="alert">{html.escape(text)}</p>')  # fmt: skip
    return _document(language or "en", title, body)


def _scale(
    name: str, question: str, low: int, high: int, low_text: str = "", high_text: str = "",
    *, required: bool = False,
) -> str:  # fmt: skip
    need = " required" if required else ""
    boxes = "".join(
        f'<label><input type="radio" name="{name}" value="{n}"{need}><span>{n}</span></label>'
        for n in range(low, high + 1)
    )
    ends = ""
    if low_text:
        ends = (f'<div class="ends" aria-hidden="true"><span>{low} = {html.escape(low_text)}'
                f"</span><span>{high} = {html.escape(high_text)}</span></div>")  # fmt: skip
    return (f'<fieldset><legend>{html.escape(question)}</legend>'
            f'<div class="scale">{boxes}</div>{ends}</fieldset>')  # fmt: skip


def _comment(question: str, optional: str) -> str:
    return (f'<p><label class="q" for="comment">{html.escape(question)} '
            f"<small>({html.escape(optional)})</small></label>"
            '<textarea id="comment" name="comment" maxlength="5000"></textarea></p>')  # fmt: skip


def _form(token: str, inner: str, send: str) -> str:
    # relative to /s/: posts to /s/{token} wherever the server is mounted
    return (f'<form method="post" action="{html.escape(token)}">{inner}'
            f"<p><button type=\"submit\">{html.escape(send)}</button></p></form>")  # fmt: skip


def _document(language: str, title: str, body: Any) -> str:
    return (
        f'<!doctype html><html lang="{html.escape(language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )
