"""The metric definitions: one home for the NPS groups, CSAT's top-2-box and CES's bands.

Every rule here works on Ibis columns (in the engine) and on NumPy/pandas values alike, so
metrics, analyses, journeys and text all classify an answer the same way. Sources:
Reichheld (2003) for the NPS groups (promoters 9-10, passives 7-8, detractors 0-6); CSAT as
the share answering 4 or 5 on a 1-5 scale (top-2-box); CES on the 1-7 "easy" scale of Dixon,
Freeman and Toman (2010), where higher means less effort.
"""

from __future__ import annotations

from typing import Any

#: Lowest NPS answer (0-10) of a promoter.
PROMOTER_MIN = 9
#: Highest NPS answer (0-10) of a detractor.
DETRACTOR_MAX = 6
#: Lowest CSAT answer (1-5) counted as satisfied (top-2-box).
SATISFIED_MIN = 4
#: Highest CES answer (1-7, 7 = easiest) counted as high effort.
HIGH_EFFORT_MAX = 3
#: Lowest CES answer counted as low effort.
LOW_EFFORT_MIN = 5


def is_promoter(nps: Any) -> Any:
    """Return whether each NPS answer is a promoter's (9 or 10).

    Example:
        >>> import numpy as np
        >>> is_promoter(np.array([10, 8, 3])).tolist()
        [True, False, False]
    """
    return nps >= PROMOTER_MIN


def is_detractor(nps: Any) -> Any:
    """Return whether each NPS answer is a detractor's (0 to 6).

    Example:
        >>> import numpy as np
        >>> is_detractor(np.array([10, 8, 3])).tolist()
        [False, False, True]
    """
    return nps <= DETRACTOR_MAX


def is_satisfied(csat: Any) -> Any:
    """Return whether each CSAT answer (1-5) is in the top two boxes (4 or 5).

    Example:
        >>> import numpy as np
        >>> is_satisfied(np.array([5, 4, 3])).tolist()
        [True, True, False]
    """
    return csat >= SATISFIED_MIN


def is_high_effort(ces: Any) -> Any:
    """Return whether each CES answer (1-7, 7 = easiest) means high effort (1 to 3).

    Example:
        >>> import numpy as np
        >>> is_high_effort(np.array([1, 4, 7])).tolist()
        [True, False, False]
    """
    return ces <= HIGH_EFFORT_MAX


def nps_points(nps: Any) -> Any:
    """Return each answer's contribution to NPS: +1 promoter, -1 detractor, 0 passive.

    The mean of these times 100 is the NPS.

    Example:
        >>> import numpy as np
        >>> nps_points(np.array([10, 8, 3])).tolist()
        [1.0, 0.0, -1.0]
    """
    promoter, detractor = is_promoter(nps), is_detractor(nps)
    if hasattr(promoter, "ifelse"):  # an Ibis column
        return promoter.ifelse(1.0, detractor.ifelse(-1.0, 0.0))
    return promoter.astype(float) - detractor.astype(float)
