"""Norwegian organisation numbers (Enhetsregisteret): nine digits, the last a mod-11 check digit.

One implementation for the CSV intake (a bad number is a row error) and the generator (which
makes valid ones); the shapes check the same rule on the graph.
"""

from __future__ import annotations

import re

WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


def mod11_check_digit(digits: list[int]) -> int | None:
    """The check digit of a Norwegian organisation number's first eight digits (None if none)."""
    total = sum(w * d for w, d in zip(WEIGHTS, digits, strict=True))
    remainder = total % 11
    if remainder == 0:
        return 0
    if remainder == 1:
        return None
    return 11 - remainder


def valid_org_number(number: str) -> bool:
    """True when ``number`` is nine digits whose last digit is the mod-11 check digit."""
    if not re.fullmatch(r"[0-9]{9}", number):
        return False
    return mod11_check_digit([int(d) for d in number[:8]]) == int(number[8])
