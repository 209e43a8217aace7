"""Figures in English prose: numbers written in digits or words, their hedges, and the numbers that are not
figures (years, dates, times, ordinals, article numbers, phone numbers, ages).

The functions are pure and work on one sentence at a time; offsets are Python string indices (code points), the
unit of :mod:`kg.spans`. Number words are parsed here rather than by a package: the only candidate on PyPI
(``word2number``) is unmaintained since 2017, has no notion of "a dozen" or "700 thousand", and gives no offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

#: Hedge words (lower case) before a figure -> the local name of its kg:Qualifier. Longest first when matching.
HEDGES: dict[str, str] = {
    "no fewer than": "AtLeast", "no less than": "AtLeast", "at least": "AtLeast", "a minimum of": "AtLeast",
    "more than": "MoreThan", "over": "MoreThan", "upwards of": "MoreThan", "in excess of": "MoreThan",
    "about": "About", "around": "About", "approximately": "About", "roughly": "About", "nearly": "About",
    "almost": "About", "some": "About", "an estimated": "About", "estimated": "About", "close to": "About",
    "up to": "AtMost", "as many as": "AtMost", "at most": "AtMost",
    "fewer than": "LessThan", "less than": "LessThan",
    "only": "Exactly", "just": "Exactly", "exactly": "Exactly",
}
_HEDGE_RE = re.compile(r"(?:^|(?<=\W))(" + "|".join(re.escape(h) for h in sorted(HEDGES, key=len, reverse=True))
                       + r")\s+$", re.IGNORECASE)

_UNITS = {w: i for i, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
     "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"])}
_TENS = {w: 10 * (i + 2) for i, w in enumerate(
    ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"])}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
#: Plural words that imply a value without stating it: kept as words, the value marked as implied (a floor).
VAGUE: dict[str, int] = {"dozens": 24, "scores": 40, "hundreds": 200, "thousands": 2_000,
                         "tens of thousands": 20_000, "hundreds of thousands": 200_000}
MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
)

_WORD = r"(?:" + "|".join(sorted([*_UNITS, *_TENS, *_SCALES, "dozen"], key=len, reverse=True)) + r")"
_WORDS_RE = re.compile(r"\b(?:a\s+)?" + _WORD + r"(?:(?:\s+and\s+|[\s-]+)" + _WORD + r")*\b", re.IGNORECASE)
# Digits with "," or a (narrow/no-break) space between groups of three, or plain; an optional scale word after.
_DIGITS_RE = re.compile(r"(?<![\w/.,:+-])(\d{1,3}(?:(?:,|[ \u00a0\u202f])\d{3})+|\d+(?:\.\d+)?)(?![\w/]|[.,:]\d)"
                        r"(?:\s+(thousand|million|billion)\b)?", re.IGNORECASE)
_VAGUE_RE = re.compile(r"\b(" + "|".join(sorted(VAGUE, key=len, reverse=True)) + r")\b(?=\s+of\b|\s+\w)",
                       re.IGNORECASE)
_PHONE_RE = re.compile(r"(?:\+\d[\d ()-]{7,}\d|\(\d{2,4}\)[\d -]{5,}\d|\b\d{2,4}(?:-\d{2,4}){2,}\b)")
_TIME_RE = re.compile(r"\b\d{1,2}(?::\d{2}|\s*(?:a\.m\.|p\.m\.|am\b|pm\b|o'clock))", re.IGNORECASE)
_ORDINAL_RE = re.compile(r"\b\d+(?:st|nd|rd|th)\b", re.IGNORECASE)
_REFERENCE_RE = re.compile(r"\b(?:article|art\.|resolution|no\.|number|paragraph|section|session|chapter|"
                           r"clause|case|decree|law|item|page|p\.)\s+$", re.IGNORECASE)
_MONTH_BEFORE = re.compile(r"\b(?:" + "|".join(MONTHS) + r")\.?\s+(?:\d{1,2},?\s+)?$", re.IGNORECASE)
_MONTH_AFTER = re.compile(r"^(?:st|nd|rd|th)?\s+(?:of\s+)?(?:" + "|".join(MONTHS) + r")\b", re.IGNORECASE)
_YEAR_CONTEXT = re.compile(r"\b(?:in|since|by|until|till|before|after|during|from|to|of|early|late|mid|"
                           r"spring|summer|autumn|fall|winter|year|and)\s+$", re.IGNORECASE)
_AGE_RES = (
    re.compile(r"\b(?:aged|ages|between the ages of)\s+(\w+)\s*(?:to|-|–|and)\s*(\w+)", re.IGNORECASE),
    re.compile(r"\bunder the age of\s+(\w+)|\bunder\s+(\w+)(?=\s+years)|\b(?:aged\s+)?(\w+)\s+and\s+under\b",
               re.IGNORECASE),
    re.compile(r"\b(\w+)[- ]years?[- ]olds?\b|\baged\s+(\w+)\b", re.IGNORECASE),
)


@dataclass(frozen=True)
class Figure:
    """A figure in a sentence: ``[start, end)`` of its words (the hedge not included), the value, whether the
    value is only implied by a word such as "dozens", and the hedge as written with its qualifier."""

    start: int
    end: int
    text: str
    value: Decimal
    implied: bool = False
    hedge: str | None = None
    qualifier: str = "Exactly"


@dataclass(frozen=True)
class Ages:
    """An age scope found in a sentence (``aged six to 17``): its offsets and bounds (either may be None)."""

    start: int
    end: int
    min_age: int | None
    max_age: int | None


def words_value(text: str) -> int | None:
    """The value of number words ("seven hundred", "a dozen", "twenty-one thousand"); None if not numeric."""
    tokens = [t for t in re.split(r"[\s-]+", text.lower().strip()) if t and t != "and"]
    if tokens and tokens[0] == "a":
        tokens = tokens[1:] or ["?"]
    total = current = 0
    for tok in tokens:
        if tok in _UNITS:
            current += _UNITS[tok]
        elif tok in _TENS:
            current += _TENS[tok]
        elif tok == "dozen":
            current = (current or 1) * 12
        elif tok == "hundred":
            current = (current or 1) * 100
        elif tok in _SCALES:
            total += (current or 1) * _SCALES[tok]
            current = 0
        else:
            return None
    return total + current


def _number(token: str) -> Decimal | None:
    """A number token of the text ("11,000", "19 546", "seven") as a Decimal, or None."""
    if re.fullmatch(r"\d[\d,\u00a0\u202f ]*(?:\.\d+)?", token):
        return Decimal(re.sub(r"[,\u00a0\u202f ]", "", token))
    value = words_value(token)
    return None if value is None else Decimal(value)


def ages(sentence: str) -> list[Ages]:
    """Age scopes of ``sentence``: ranges ("aged six to 17"), upper bounds ("under the age of 18" -> at most
    17), single ages ("12-year-olds")."""
    found: list[Ages] = []
    for i, pattern in enumerate(_AGE_RES):
        for m in pattern.finditer(sentence):
            if any(a.start <= m.start() < a.end for a in found):
                continue
            groups = [g for g in m.groups() if g]
            values = [_number(g) for g in groups]
            if not values or any(v is None for v in values):
                continue
            nums = [int(v) for v in values if v is not None]
            if i == 0:
                found.append(Ages(m.start(), m.end(), nums[0], nums[1]))
            elif i == 1:
                under = "under" in m.group(0).lower() and "and under" not in m.group(0).lower()
                found.append(Ages(m.start(), m.end(), None, nums[0] - 1 if under else nums[0]))
            else:
                found.append(Ages(m.start(), m.end(), nums[0], nums[0]))
    return sorted(found, key=lambda a: a.start)


def _excluded(sentence: str, start: int, end: int, raw: str) -> bool:
    """True when the number at ``[start, end)`` is not a figure: a year, a day of a date, a time, an ordinal,
    an article or resolution number, part of a phone number or of an identifier such as A/HRC/52/62."""
    before, after = sentence[:start], sentence[end:]
    if _REFERENCE_RE.search(before) or _MONTH_AFTER.match(after):
        return True
    if re.fullmatch(r"\d+", raw):
        if _MONTH_BEFORE.search(before):
            return True  # "November 20", "March 2023", "20 November 2023"
        value = int(raw)
        plural_noun = re.match(r"\s+(?:of\s+them|of\s+whom|[a-z]+(?:ren|s)\b)", after)
        if 1900 <= value <= 2100 and len(raw) == 4 and _YEAR_CONTEXT.search(before) and not plural_noun:
            return True
    return False


def figures(sentence: str) -> list[Figure]:
    """Every figure of ``sentence``, in order, with its hedge; non-figures (see :func:`_excluded`) and the
    numbers of an age scope are left out."""
    blocked: list[tuple[int, int]] = [m.span() for m in _PHONE_RE.finditer(sentence)]
    blocked += [m.span() for m in _TIME_RE.finditer(sentence)] + [m.span() for m in _ORDINAL_RE.finditer(sentence)]
    blocked += [(a.start, a.end) for a in ages(sentence)]
    candidates: list[tuple[int, int, Decimal, bool]] = []
    for m in _DIGITS_RE.finditer(sentence):
        number = _number(m.group(1))
        if number is None or _excluded(sentence, m.start(1), m.end(1), m.group(1)):
            continue
        if m.group(2):
            number *= _SCALES[m.group(2).lower()]
        if number == number.to_integral_value():
            number = Decimal(int(number))  # "1.2 million" is the integer 1200000
        candidates.append((m.start(), m.end(), number, False))
    for m in _VAGUE_RE.finditer(sentence):
        candidates.append((m.start(), m.end(), Decimal(VAGUE[m.group(1).lower()]), True))
    for m in _WORDS_RE.finditer(sentence):
        value = words_value(m.group(0))
        if value is None or _excluded(sentence, m.start(), m.end(), m.group(0)):
            continue
        # "one" alone is nearly always a pronoun ("one of them"); a bare "hundred"/"dozen" has no count either
        if m.group(0).lower() in {"one", "a", "hundred", "thousand", "dozen", "million"}:
            continue
        candidates.append((m.start(), m.end(), Decimal(value), False))
    out: list[Figure] = []
    taken: list[tuple[int, int]] = []
    for start, end, value, implied in sorted(candidates, key=lambda c: (c[0], -(c[1] - c[0]))):
        if any(s < end and start < e for s, e in [*blocked, *taken]):
            continue
        taken.append((start, end))
        hedge_m = _HEDGE_RE.search(sentence[max(0, start - 20):start])
        hedge = hedge_m.group(1) if hedge_m else None
        qualifier = HEDGES[hedge.lower()] if hedge else ("AtLeast" if implied else "Exactly")
        out.append(Figure(start, end, sentence[start:end], value, implied, hedge, qualifier))
    return out
