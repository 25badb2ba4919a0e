"""Quorum arithmetic, pure Python (no Django): is a general meeting allowed to decide?

The statutes give a share of the members with voting rights who must be present or
represented ("le quart des membres présents ou représentés"). With weighted votes, the
figures are sums of weights. Integer arithmetic only: a quorum of 1/3 of 30 is 10, reached
with 10 (not 9.999…).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

_FRACTION = re.compile(r"^\s*(\d{1,4})\s*/\s*(\d{1,4})\s*$")
_PERCENT = re.compile(r"^\s*(\d{1,3}(?:[.,]\d{1,4})?)\s*%\s*$")
_DECIMAL = re.compile(r"^\s*(0?[.,]\d{1,4}|1(?:[.,]0{1,4})?)\s*$")


def parse_share(text: str) -> Fraction:
    """ "1/4", "25 %", "25%", "0,25" → Fraction(1, 4). Raises ValueError outside (0, 1]."""
    text = (text or "").strip()
    value: Fraction | None = None
    if match := _FRACTION.match(text):
        numerator, denominator = int(match[1]), int(match[2])
        if denominator:
            value = Fraction(numerator, denominator)
    elif match := _PERCENT.match(text):
        value = Fraction(match[1].replace(",", ".")) / 100
    elif match := _DECIMAL.match(text):
        value = Fraction(match[1].replace(",", "."))
    if value is None or not 0 < value <= 1:
        raise ValueError(f"not a share between 0 and 1: {text!r}")
    return value


def format_share(share: Fraction) -> str:
    """Fraction(1, 4) → "1/4 (25 %)"."""
    percent = share * 100
    shown = f"{percent.numerator / percent.denominator:.4g}".replace(".", ",")
    return f"{share.numerator}/{share.denominator} ({shown} %)"


@dataclass(frozen=True, slots=True)
class QuorumStatus:
    rule: Fraction | None  # None: no quorum applies
    voters: int  # members with voting rights (or their total weight)
    present: int
    represented: int
    required: int  # the fewest present + represented that reach the quorum
    reached: bool

    @property
    def counted(self) -> int:
        return self.present + self.represented

    @property
    def missing(self) -> int:
        return max(0, self.required - self.counted)

    def as_dict(self) -> dict:
        return {
            "rule": f"{self.rule.numerator}/{self.rule.denominator}" if self.rule else None,
            "voters": self.voters,
            "present": self.present,
            "represented": self.represented,
            "required": self.required,
            "reached": self.reached,
        }


def quorum_status(
    *, voters: int, present: int, represented: int, rule: Fraction | None
) -> QuorumStatus:
    """Whether present + represented reach `rule` × voters (at least, as statutes say).

    No rule: the meeting may decide whatever the attendance (still with someone there).
    """
    if min(voters, present, represented) < 0:
        raise ValueError("counts cannot be negative")
    required = math.ceil(rule * voters) if rule is not None else min(voters, 1)
    counted = present + represented
    return QuorumStatus(
        rule=rule,
        voters=voters,
        present=present,
        represented=represented,
        required=required,
        reached=counted >= required and (counted > 0 or voters == 0),
    )
