"""S3 sequencers as S3 documents them: hex strings that grow for the changes of one key, of varying
length, compared by right-padding the shorter with zeros and then as strings. Only changes of the same
key are comparable; the simulation gives every key a clock of its own so nothing can lean on more."""

from __future__ import annotations

import random

# Wide enough for every sequencer made here; S3's own are about 18 characters.
_WIDTH = 20
# The shortest sequencer made: S3's keep a fixed-width head, then a tail whose length varies.
_SHORTEST = 14


def compare(first: str, second: str) -> int:
    """-1, 0 or 1 as `first` is older than, the same as or newer than `second` (one key's changes)."""
    width = max(len(first), len(second))
    a, b = first.upper().ljust(width, "0"), second.upper().ljust(width, "0")
    return (a > b) - (a < b)


class SequencerClock:
    """One key's sequencers: each later than the one before under S3's rule, of a length that varies,
    so that a newer sequencer is often shorter than an older one (where left-padding would get the
    order wrong). Two of them are never equal after padding."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        # Two leading zeros, as S3's have: a shorter one padded on the left then sorts as older.
        self._value = rng.randrange(16**15, 16**16) * 16**2
        self.issued: list[str] = []

    def next(self) -> str:
        # Stepping to a multiple of a power of 16 ends the padded value in zeros, which the string
        # may then leave off: the same instant, written shorter.
        unit = 16 ** self._rng.choice((0, 1, 2, 3, 4, 5))
        self._value = (self._value // unit + self._rng.randrange(1, 16)) * unit
        padded = f"{self._value:0{_WIDTH}X}"
        significant = max(len(padded.rstrip("0")), _SHORTEST)
        sequencer = padded[: self._rng.randint(significant, _WIDTH)]
        assert not self.issued or compare(sequencer, self.issued[-1]) > 0
        self.issued.append(sequencer)
        return sequencer
