"""Single customer view: normalise identity records, link records of one person, cluster them.

* :mod:`cxlens.identity.normalise`: e-mail, phone (E.164), name, date and address normalisers
  as Ibis expressions.
* :mod:`cxlens.identity.clean`: prepared records, flags of empty and invalid values, exact
  duplicates, newest-value profiles with provenance.
* :mod:`cxlens.identity.rules`: deterministic rules, blocking rules and the Splink model.
* :mod:`cxlens.identity.resolve`: linkage, clustering, customer ids, incremental linking.
* :mod:`cxlens.identity.evaluate`: pairwise precision, recall and F1 against true identities.
* :mod:`cxlens.identity.namespace`: ``Identity(ws)``, the ``ws.identity`` namespace.
* :mod:`cxlens.identity.testdata`: generated records with known true identities.
"""
