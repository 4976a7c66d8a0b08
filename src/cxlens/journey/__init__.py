"""Customer journey mapping: touchpoints, paths, funnels, time in stage, emotion, pain points.

The analyses live in small modules over Ibis expressions; ``Journey`` (namespace.py) is the
``ws.journey`` entry point.
"""
