"""The colours and font every cxlens chart uses, so the report reads as one document."""

INK = "#1f2933"
MUTED = "#6b7785"
PRIMARY = "#1f4e79"
GOOD = "#1a7f37"
BAD = "#b42318"
GREY = "#b8c0cc"
GRID = "#e6e9ee"
FONT = (
    "Inter, 'Segoe UI', -apple-system, BlinkMacSystemFont, Roboto, 'Helvetica Neue', Arial, "
    "'Liberation Sans', 'DejaVu Sans', 'Noto Sans CJK SC', 'Noto Color Emoji', sans-serif"
)
