"""The fictional firm behind the sample data: Northwind Connect, a broadband and mobile provider.

Everything the generators draw from lives here as plain constants, so the planted truths are
easy to read in one place: segments and their shares, plans and prices, the survey drivers and
their true weights, touchpoints, languages, competitors and add-on products.
"""

from __future__ import annotations

FIRM = "Northwind Connect"
COMPETITORS = ("Skyline Telecom", "BlueRiver Broadband")
CURRENCY = "USD"

#: Customer segments and their shares of the customer base.
SEGMENTS: dict[str, float] = {"consumer": 0.66, "small_business": 0.25, "enterprise": 0.09}

REGIONS: dict[str, float] = {
    "north": 0.24,
    "south": 0.22,
    "east": 0.2,
    "west": 0.19,
    "central": 0.15,
}

#: Plans offered to each segment: name -> (monthly price, probability within the segment).
PLANS: dict[str, dict[str, tuple[float, float]]] = {
    "consumer": {
        "Home Basic 100": (35.0, 0.38),
        "Home Plus 500": (55.0, 0.42),
        "Home Pro 1000": (75.0, 0.20),
    },
    "small_business": {
        "Business Start": (89.0, 0.55),
        "Business Pro": (149.0, 0.45),
    },
    "enterprise": {
        "Enterprise Fibre": (690.0, 0.6),
        "Enterprise Dedicated": (1450.0, 0.4),
    },
}

#: Acquisition channels per segment: channel -> (probability, median acquisition cost).
ACQUISITION: dict[str, dict[str, tuple[float, float]]] = {
    "consumer": {
        "online": (0.42, 95.0),
        "retail_store": (0.25, 160.0),
        "telesales": (0.13, 140.0),
        "partner": (0.08, 180.0),
        "referral": (0.12, 60.0),
    },
    "small_business": {
        "online": (0.30, 180.0),
        "telesales": (0.32, 320.0),
        "partner": (0.18, 420.0),
        "referral": (0.20, 150.0),
    },
    "enterprise": {
        "field_sales": (0.70, 4200.0),
        "partner": (0.30, 3100.0),
    },
}

#: Survey drivers (columns ``driver_<name>``, integer ratings 1-5) and their TRUE weights:
#: the latent 0-10 score moves by this many points per rating point.
DRIVER_WEIGHTS: dict[str, float] = {
    "reliability": 1.0,
    "support": 0.75,
    "speed": 0.55,
    "ease": 0.4,
    "price": 0.25,
}

#: Mean customer-level rating per driver (before segment and plan adjustments).
DRIVER_MEANS: dict[str, float] = {
    "price": 2.9,
    "speed": 3.6,
    "reliability": 3.6,
    "support": 3.3,
    "ease": 3.8,
}

#: Segment adjustments to driver means.
DRIVER_SEGMENT_SHIFT: dict[str, dict[str, float]] = {
    "consumer": {},
    "small_business": {"price": -0.2, "support": -0.1},
    "enterprise": {"support": 0.4, "reliability": 0.2, "price": -0.3},
}

#: Baseline of the latent 0-10 score per segment (when every driver sits at 3).
LATENT_BASE: dict[str, float] = {"consumer": 6.9, "small_business": 7.0, "enterprise": 7.3}

#: Shifts of the latent score per survey touchpoint (relationship surveys have none).
TOUCHPOINT_SHIFT: dict[str, float] = {
    "installation": -0.2,
    "onboarding": 0.2,
    "billing": -0.1,
    "support": -0.4,
    "app": 0.3,
    "renewal": 0.0,
}

#: Touchpoints of transactional surveys during the customer's life, with their shares.
#: Installation and onboarding surveys are sent once, shortly after a customer joins.
LIFE_TOUCHPOINTS: dict[str, float] = {
    "billing": 0.36,
    "support": 0.28,
    "app": 0.24,
    "renewal": 0.12,
}

#: Survey channels per touchpoint (relationship surveys use the "relationship" entry).
SURVEY_CHANNELS: dict[str, dict[str, float]] = {
    "relationship": {"email": 0.7, "sms": 0.15, "app": 0.15},
    "installation": {"sms": 0.6, "email": 0.4},
    "onboarding": {"email": 0.6, "app": 0.4},
    "billing": {"email": 0.65, "web": 0.35},
    "support": {"phone_ivr": 0.35, "sms": 0.35, "email": 0.3},
    "app": {"app": 1.0},
    "renewal": {"email": 0.7, "phone_ivr": 0.3},
}

#: Language of each customer (and so of their comments and identities).
LANGUAGES: dict[str, float] = {"en": 0.70, "ru": 0.18, "zh": 0.12}

#: Share of voice (share of posts) per brand on social and review platforms.
SHARE_OF_VOICE: dict[str, float] = {FIRM: 0.42, COMPETITORS[0]: 0.36, COMPETITORS[1]: 0.22}

#: Post sentiment mix per brand: (positive, neutral, negative).
POST_SENTIMENT: dict[str, tuple[float, float, float]] = {
    FIRM: (0.46, 0.26, 0.28),
    COMPETITORS[0]: (0.38, 0.30, 0.32),
    COMPETITORS[1]: (0.33, 0.30, 0.37),
}

PLATFORMS: dict[str, float] = {
    "x": 0.34,
    "instagram": 0.2,
    "facebook": 0.17,
    "tiktok": 0.13,
    "review_site": 0.16,
}

#: Add-on products: name -> (category, unit price, relative popularity, segments offered to).
PRODUCTS: dict[str, tuple[str, float, float, tuple[str, ...]]] = {
    "Mesh Wi-Fi Extender": ("hardware", 79.0, 0.22, ("consumer", "small_business")),
    "Router Upgrade": ("hardware", 129.0, 0.12, ("consumer", "small_business", "enterprise")),
    "TV Streaming Pack": ("content", 14.99, 0.2, ("consumer",)),
    "Mobile Data Booster": ("mobile", 9.99, 0.18, ("consumer", "small_business")),
    "Cyber Security Suite": ("software", 6.99, 0.1, ("consumer", "small_business", "enterprise")),
    "Static IP": ("service", 12.0, 0.08, ("small_business", "enterprise")),
    "Premium Support": ("service", 49.0, 0.06, ("small_business", "enterprise")),
    "Installation Visit": ("service", 59.0, 0.04, ("consumer", "small_business", "enterprise")),
}

#: Churn: monthly hazard per segment at a latent score of CHURN_PIVOT, scaled by
#: exp(-CHURN_SATISFACTION_COEF * (customer mean latent - CHURN_PIVOT)).
CHURN_BASE_HAZARD: dict[str, float] = {
    "consumer": 0.016,
    "small_business": 0.014,
    "enterprise": 0.006,
}
CHURN_SATISFACTION_COEF = 0.45
CHURN_PIVOT = 7.5
CHURN_MAX_HAZARD = 0.25

#: Calendar month with the holiday-season dip, and its shift of the latent score.
SEASONAL_DIP: dict[int, float] = {12: -0.45, 1: -0.15, 11: -0.1}

#: The planted problem: a billing process change hurts small-business customers.
PROBLEM_SEGMENT = "small_business"
PROBLEM_TOUCHPOINT = "billing"
PROBLEM_TARGET_NPS_DROP = 25.0
PROBLEM_DEFAULT_MONTH = 15
