"""The bits of the JVM whose output Kafka's perf tools print: ``printf`` rounding,
``SimpleDateFormat`` patterns and ``java.util.Random``.

Kafka's tools format numbers with ``String.format``, which rounds the double's exact decimal value
half-up (Python's ``format`` rounds half-even) and prints ``Infinity``/``NaN`` for a division by
a zero elapsed time. ``ConsumerPerformance`` formats times with a ``SimpleDateFormat`` given by
``--date-format``. ``ProducerPerformance`` fills its payload with ``new Random(0)``'s letters,
so the same bytes (and the same compression ratios) come out here.
"""

from __future__ import annotations

import datetime
import math
import time
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["jfloat", "jdiv", "simple_date_format", "JavaRandom"]


def jdiv(a: float, b: float) -> float:
    """Java double division: x/0 is +-Infinity, 0/0 is NaN."""
    if b == 0:
        if a == 0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a)
    return a / b


def jfloat(value: float, places: int) -> str:
    """``String.format("%.<places>f", value)`` (``%f`` is 6 places)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    quantum = Decimal(1).scaleb(-places)
    return str(Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP))


_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _offset(dt: datetime.datetime, colon: bool) -> str:
    delta = dt.utcoffset() or datetime.timedelta(0)
    minutes = int(delta.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"{sign}{h:02d}{':' if colon else ''}{m:02d}"


def _field(letter: str, n: int, dt: datetime.datetime) -> str:
    def num(v: int) -> str:
        return str(v).zfill(n)

    match letter:
        case "y":
            return str(dt.year % 100).zfill(2) if n == 2 else num(dt.year)
        case "M":
            if n >= 4:
                return _MONTHS[dt.month - 1]
            return _MONTHS[dt.month - 1][:3] if n == 3 else num(dt.month)
        case "d":
            return num(dt.day)
        case "H":
            return num(dt.hour)
        case "k":
            return num(dt.hour or 24)
        case "K":
            return num(dt.hour % 12)
        case "h":
            return num(dt.hour % 12 or 12)
        case "m":
            return num(dt.minute)
        case "s":
            return num(dt.second)
        case "S":
            return num(dt.microsecond // 1000)
        case "a":
            return "AM" if dt.hour < 12 else "PM"
        case "E":
            name = _DAYS[dt.weekday()]
            return name if n >= 4 else name[:3]
        case "D":
            return num(dt.timetuple().tm_yday)
        case "z":
            return dt.tzname() or "UTC"
        case "Z":
            return _offset(dt, colon=False)
        case "X":
            if not dt.utcoffset():
                return "Z"
            full = _offset(dt, colon=n >= 3)
            return full[:3] if n == 1 else full
    raise ValueError(f"Illegal pattern character '{letter}'")


def simple_date_format(pattern: str) -> Callable[[int], str]:
    """A formatter of epoch milliseconds in local time, for a ``java.text.SimpleDateFormat``
    pattern: letters repeat for width (``yyyy-MM-dd HH:mm:ss:SSS``), ``'...'`` is literal text,
    ``''`` a quote. Raises ``ValueError("Illegal pattern character 'x'")`` as Java does."""
    parts: list[tuple[str, int] | str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "'":
            if pattern.startswith("''", i):
                parts.append("'")
                i += 2
                continue
            text, i = [], i + 1
            while True:  # quoted text; '' inside it is one quote
                if i >= len(pattern):
                    raise ValueError("Unterminated quote")
                if pattern[i] == "'":
                    if pattern.startswith("''", i):
                        text.append("'")
                        i += 2
                        continue
                    i += 1
                    break
                text.append(pattern[i])
                i += 1
            parts.append("".join(text))
        elif c.isascii() and c.isalpha():
            j = i
            while j < len(pattern) and pattern[j] == c:
                j += 1
            _field(c, j - i, datetime.datetime(2000, 1, 1).astimezone())  # validate now, as Java does
            parts.append((c, j - i))
            i = j
        else:
            parts.append(c)
            i += 1

    def fmt(ms: int) -> str:
        dt = datetime.datetime.fromtimestamp(ms / 1000).astimezone()
        dt = dt.replace(microsecond=(ms % 1000) * 1000)
        return "".join(p if isinstance(p, str) else _field(p[0], p[1], dt) for p in parts)

    return fmt


_MULTIPLIER = 0x5DEECE66D
_MASK = (1 << 48) - 1


class JavaRandom:
    """``java.util.Random``'s 48-bit LCG, enough for ``nextInt(bound)``."""

    def __init__(self, seed: int) -> None:
        self._seed = (seed ^ _MULTIPLIER) & _MASK

    def _next(self, bits: int) -> int:
        self._seed = (self._seed * _MULTIPLIER + 0xB) & _MASK
        value = self._seed >> (48 - bits)
        return value - (1 << bits) if value >= 1 << (bits - 1) and bits == 32 else value

    def next_int(self, bound: int) -> int:
        if bound <= 0:
            raise ValueError("bound must be positive")
        if bound & (bound - 1) == 0:
            return (bound * self._next(31)) >> 31
        while True:
            bits = self._next(31)
            val = bits % bound
            # Java rejects the top, uneven slice of the range (an int overflow test).
            if bits - val + (bound - 1) < 1 << 31:
                return val


def now_ms() -> int:
    return time.time_ns() // 1_000_000
