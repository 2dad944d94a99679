"""Text helpers: diacritic-insensitive folding for Vietnamese searches."""
import unicodedata

_EXTRA = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str | None) -> str:
    """Lower-case, strip Vietnamese diacritics (đ → d too) and squeeze spaces."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate(_EXTRA))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.lower().split())


def like_pattern(text: str) -> str:
    """A LIKE pattern matching the folded text anywhere, with wildcards escaped."""
    escaped = fold(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
