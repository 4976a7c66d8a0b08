"""Choose the "mixed" reading (both a clear praise and a clear complaint) on training rows.

``python -m cxlens.text.training.mixed DATA_DIR`` compares three readings of
``mixed_sentiment`` on the Russian reviews' training split (``ru_reviews``: the rows
annotated "both" against the single-polarity ones: positive, negative and neutral); no test
row is read.

Pre-registered rule (2026-12-06, before anything was computed):

* Rows: the 403 ``ru_reviews`` training rows; "both" is the class to detect, every other
  label the rest.
* Probabilities out-of-fold: the 3-class rows keep their folds of
  :func:`cxlens.text.training.folds.fold_ids` (Russian's training rows, stratified by set
  and label); the "both" rows get 5 folds of their own, seeded. Each fold's rows are scored by
  Russian's own fast head and own e5 head (with the other languages' capped rows, as
  shipped) refitted outside the fold, read as the cascade reads them (fast head; below
  ``CONFIDENT`` the accurate path: ``FAST_WEIGHTS``, ``LEXICON_WEIGHTS``).
* Candidates: (1) whole text: mixed when min(P(negative), P(positive)) >= t, t in 0.05 to
  0.45 by 0.01; (2) sentences: the noise-normalised text split into sentences
  (:func:`cxlens.text.tokenize.sentences`), each scored by the fold's fast head alone; mixed
  when one sentence has P(positive) >= a and another P(negative) >= b, a and b in 0.30 to
  0.90 by 0.05; (3) either (1) or (2), t, a and b chosen together.
* Choice: per fold, the thresholds with the highest F1 of "both" on the other four folds
  (ties within 0.001: the lower flag rate on their single-polarity rows, then the stricter
  thresholds); applied to the fold. The criterion is the pooled out-of-fold F1 of "both".
* The current rule (MIXED_MIN 0.25, as is) on the same probabilities is the baseline.
* Ship the candidate with the best out-of-fold F1 only if the paired 95% bootstrap interval
  (1,000 draws, rows resampled within "both" and the rest, seeded) of its F1 minus the
  current rule's lies above 0 and its out-of-fold flag rate on the positive and negative
  training reviews is under 15%; then with the thresholds chosen on all five folds.
  Otherwise keep the code and record the measurement as not shipped.
"""
