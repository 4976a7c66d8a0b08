"""Collecting feedback: event-triggered NPS, CSAT and CES surveys that land in ``responses``.

Survey definitions (:mod:`~cxlens.collect.definitions`), the contact rules
(:mod:`~cxlens.collect.rules`), triggering with every decision recorded
(:mod:`~cxlens.collect.trigger`), signed single-use links (:mod:`~cxlens.collect.tokens`) and
answers loaded through ingest (:mod:`~cxlens.collect.answers`), gathered in
:class:`~cxlens.collect.namespace.Surveys`. See docs/collect.md.
"""

from cxlens.collect.definitions import Survey, parse_survey, read_survey
from cxlens.collect.namespace import Surveys

__all__ = ["Survey", "Surveys", "parse_survey", "read_survey"]
