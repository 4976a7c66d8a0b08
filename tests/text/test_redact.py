import pandas as pd
import pytest

from cxlens.errors import ArgumentError
from cxlens.text import redact, redact_frame

# (text, expected redaction): written for this test, each PII item planted by hand.
CASES = [
    ("Mail me at ann.lee+cx@example.co.uk please", "Mail me at [EMAIL] please"),
    ("пишите на ivan_petrov@mail.ru", "пишите на [EMAIL]"),
    ("我的邮箱是 wangwei@qq.com", "我的邮箱是 [EMAIL]"),
    ("Call me on +1 212 555 0199 tomorrow", "Call me on [PHONE] tomorrow"),
    ("my number is (212) 555-0199", "my number is [PHONE]"),
    ("UK office 020 7946 0958", "UK office [PHONE]"),
    ("Мой номер +7 (916) 123-45-67", "Мой номер [PHONE]"),
    ("звоните 8 916 123 45 67", "звоните [PHONE]"),
    ("电话13812345678，谢谢", "电话[PHONE]，谢谢"),
    ("+86 138 1234 5678 是我的手机", "[PHONE] 是我的手机"),
    ("Card 4111 1111 1111 1111 was charged twice", "Card [CARD] was charged twice"),
    ("карта 5500-0000-0000-0004 заблокирована", "карта [CARD] заблокирована"),
    ("Dear Mary, thanks for the help", "Dear [NAME], thanks for the help"),
    ("Regards, John Smith", "Regards, [NAME]"),
    ("I spoke with Kevin and he fixed it", "I spoke with [NAME] and he fixed it"),
    ("My name is Priya Raman", "My name is [NAME]"),
    ("Спасибо оператору Анне за помощь", "Спасибо оператору [NAME] за помощь"),
    ("С уважением, Сергей Иванов", "С уважением, [NAME]"),
    ("Меня зовут Людмила", "Меня зовут [NAME]"),
    ("Менеджер Ольга Петрова всё решила", "Менеджер [NAME] всё решила"),
    ("客服王伟态度很好", "客服[NAME]态度很好"),
    ("我叫李娜，订单有问题", "我叫[NAME]，订单有问题"),
]

# Numbers and words that must survive.
KEEP = [
    "Order 1234567812345678 arrived late",  # 16 digits, Luhn fails
    "Order 20240611 arrived on 12.06.2024",
    "Tracking RU123456789CN, 3 items for 1999.99",
    "The grace period was too short",
    "Доставка пришла вовремя, спасибо",
    "订单号 202406110001 还没发货",
    # a cue ending its sentence: the capitalised word after it starts the next one
    "Всё супер, спасибо! Ни одного сбоя",
    "Thanks! The app works",
    "客服很差，等了很久",
]


def test_every_planted_item_is_redacted():
    got = redact([text for text, _ in CASES])
    assert got == [expected for _, expected in CASES]


def test_ids_amounts_and_ordinary_words_are_kept():
    assert redact(KEEP) == KEEP


def test_frame_counts_each_kind_and_keeps_order():
    frame = redact_frame(["a@b.io and c@d.io", "call +7 916 123-45-67, Dear Anna", None, ""])
    assert frame[["email", "phone", "card", "name"]].to_numpy().tolist() == [
        [2, 0, 0, 0],
        [0, 1, 0, 1],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
    ]
    assert frame["text"].tolist()[2:] == ["", ""]


def test_kinds_can_be_chosen_and_unknown_kinds_are_refused():
    assert redact(["a@b.io, Dear Anna"], kinds=["email"]) == ["[EMAIL], Dear Anna"]
    with pytest.raises(ArgumentError, match="unknown PII kinds"):
        redact(["x"], kinds=["ssn"])


def test_recall_per_kind_on_the_planted_set():
    frame = redact_frame([text for text, _ in CASES])
    planted = pd.Series({"email": 3, "phone": 7, "card": 2, "name": 10})
    found = frame[["email", "phone", "card", "name"]].sum()
    assert (found == planted).all()
