"""Sample data: a fictional subscription firm, Northwind Connect, with known truths planted.

``generate`` builds the canonical tables (customers, identities, responses, transactions,
events, posts, campaigns) from one seed; ``write_sample`` writes them as the files a client
would hand over, with a tool export, its mapping and ``truth.json``.

Example:
    >>> from cxlens.sample import generate
    >>> data = generate(customers=300, months=12, seed=7)
    >>> data.truth["drivers"]["order"]
    ['reliability', 'support', 'speed', 'ease', 'price']
"""

from cxlens.sample.generate import TABLE_NAMES, SampleData, generate
from cxlens.sample.writer import write_sample

__all__ = ["TABLE_NAMES", "SampleData", "generate", "write_sample"]
