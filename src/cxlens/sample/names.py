"""Small fictional name lists in English, Russian and Chinese, with Latin spellings.

Russian and Chinese names carry their native script and one or two Latin spellings, so
identity records of one person can disagree the way real systems do ("Алексей Смирнов",
"Alexey Smirnov", "Aleksei Smirnov"; "王伟", "Wang Wei", "Wei Wang").
"""

from __future__ import annotations

#: English first and last names.
EN_FIRST: tuple[str, ...] = (
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William",
    "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Charles", "Karen", "Daniel", "Emily", "Matthew", "Olivia", "Anthony", "Sophie", "Mark",
    "Grace", "Paul", "Chloe", "Steven", "Hannah", "Andrew", "Laura", "Kevin", "Megan",
)  # fmt: skip
EN_LAST: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
    "Taylor", "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris", "Clark",
    "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green", "Baker", "Adams",
    "Nelson", "Carter", "Mitchell", "Roberts", "Turner", "Phillips", "Campbell", "Parker",
)  # fmt: skip

#: Russian first names: (Cyrillic, Latin, other Latin spelling, female?).
RU_FIRST: tuple[tuple[str, str, str, bool], ...] = (
    ("Александр", "Aleksandr", "Alexander", False),
    ("Дмитрий", "Dmitry", "Dmitriy", False),
    ("Сергей", "Sergey", "Sergei", False),
    ("Андрей", "Andrey", "Andrei", False),
    ("Алексей", "Alexey", "Aleksei", False),
    ("Иван", "Ivan", "Ivan", False),
    ("Михаил", "Mikhail", "Michail", False),
    ("Николай", "Nikolay", "Nikolai", False),
    ("Павел", "Pavel", "Pavel", False),
    ("Юрий", "Yury", "Yuri", False),
    ("Анна", "Anna", "Anna", True),
    ("Елена", "Elena", "Yelena", True),
    ("Ольга", "Olga", "Olga", True),
    ("Наталья", "Natalya", "Natalia", True),
    ("Мария", "Maria", "Mariya", True),
    ("Татьяна", "Tatiana", "Tatyana", True),
    ("Ирина", "Irina", "Irina", True),
    ("Екатерина", "Ekaterina", "Yekaterina", True),
    ("Светлана", "Svetlana", "Svetlana", True),
    ("Юлия", "Yulia", "Julia", True),
)

#: Russian surnames in the male form: (Cyrillic, Latin, other Latin spelling). The female
#: form adds "а" / "a".
RU_LAST: tuple[tuple[str, str, str], ...] = (
    ("Иванов", "Ivanov", "Ivanov"),
    ("Смирнов", "Smirnov", "Smirnoff"),
    ("Кузнецов", "Kuznetsov", "Kuznetcov"),
    ("Попов", "Popov", "Popov"),
    ("Васильев", "Vasiliev", "Vasilyev"),
    ("Петров", "Petrov", "Petrov"),
    ("Соколов", "Sokolov", "Sokolov"),
    ("Михайлов", "Mikhailov", "Mihaylov"),
    ("Новиков", "Novikov", "Novikov"),
    ("Фёдоров", "Fedorov", "Fyodorov"),
    ("Морозов", "Morozov", "Morozov"),
    ("Волков", "Volkov", "Volkov"),
    ("Лебедев", "Lebedev", "Lebedev"),
    ("Козлов", "Kozlov", "Kozlov"),
    ("Орлов", "Orlov", "Orlov"),
    ("Зайцев", "Zaitsev", "Zaytsev"),
)

#: Chinese surnames and given names: (Hanzi, Pinyin).
ZH_LAST: tuple[tuple[str, str], ...] = (
    ("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"),
    ("黄", "Huang"), ("赵", "Zhao"), ("吴", "Wu"), ("周", "Zhou"), ("徐", "Xu"), ("孙", "Sun"),
    ("马", "Ma"), ("朱", "Zhu"), ("胡", "Hu"), ("郭", "Guo"),
)  # fmt: skip
ZH_FIRST: tuple[tuple[str, str], ...] = (
    ("伟", "Wei"), ("芳", "Fang"), ("娜", "Na"), ("秀英", "Xiuying"), ("敏", "Min"),
    ("静", "Jing"), ("丽", "Li"), ("强", "Qiang"), ("磊", "Lei"), ("军", "Jun"), ("洋", "Yang"),
    ("勇", "Yong"), ("艳", "Yan"), ("杰", "Jie"), ("娟", "Juan"), ("涛", "Tao"), ("明", "Ming"),
    ("超", "Chao"), ("秀兰", "Xiulan"), ("霞", "Xia"), ("浩然", "Haoran"), ("思远", "Siyuan"),
)  # fmt: skip

#: Fictional mail domains (reserved example domains only).
PERSONAL_DOMAINS: tuple[str, ...] = (
    "example.com", "example.net", "example.org", "mail.example", "inbox.example",
)  # fmt: skip
BUSINESS_WORDS: tuple[str, ...] = (
    "acme", "globex", "initech", "umbrella", "hooli", "vandelay", "stark", "wayne", "wonka",
    "tyrell", "cyberdyne", "soylent", "oscorp", "aperture", "massive", "gringotts",
)  # fmt: skip

#: Ways a country is written, per language: the first is the CRM's ISO code.
COUNTRIES: dict[str, tuple[str, ...]] = {
    "en": ("US", "USA", "United States", "us"),
    "ru": ("RU", "Russia", "Россия", "RUS"),
    "zh": ("CN", "China", "中国", "PRC"),
}
