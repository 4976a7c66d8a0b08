"""Names of the derived tables that more than one capability reads.

Analyses write these with ``ws.save_table``; other layers (metrics, KPIs, journeys, the API,
the customer profile) read them when present. Keeping the names here stops each reader
spelling them again.
"""

from __future__ import annotations

#: One row per customer with the saved segment labels (RFM, cluster, quadrant, CLV tier).
SEGMENTS_TABLE = "customer_segments"

#: One row per survey response with its comment's language, sentiment label and score.
COMMENT_SENTIMENT_TABLE = "comment_sentiment"

#: Tables whose columns describe a customer, joined on ``customer_id`` for grouping.
CUSTOMER_TABLES: tuple[str, ...] = ("customers", SEGMENTS_TABLE)
