"""Login throttling: too many wrong passwords lock an account, or a client address, for a while.

Failures are counted per account name and per client address. After
:data:`ACCOUNT_LIMIT` failures of an account (or :data:`ADDRESS_LIMIT` from one address,
where a whole office may sit behind one address) within :data:`WINDOW` seconds, further
attempts are refused without checking the password, for :data:`FIRST_DELAY` seconds,
then twice as long after each further failure, up to :data:`MAX_DELAY`. A successful
login clears its account's failures. Nothing sleeps: a refused attempt is answered at once
(429), and since the password is not hashed, a flood of wrong logins costs the server
almost nothing and does not slow the clerks at work.

The counts live in memory (a restart clears them) and are pruned, so random names
cannot fill the memory.

Examples
--------
>>> clock = [1000.0]
>>> throttle = LoginThrottle(clock=lambda: clock[0])
>>> for _ in range(5):
...     throttle.failed("wang", "10.0.0.2")
>>> throttle.wait("wang", "10.0.0.3")  # the account is locked, from any address
30
>>> throttle.wait("li", "10.0.0.2")  # another account from the same address is not
0
>>> clock[0] += 31
>>> throttle.wait("wang", "10.0.0.2")
0
>>> throttle.failed("wang", "10.0.0.2")  # one more failure: twice as long
>>> throttle.wait("wang", "10.0.0.2")
60
>>> throttle.succeeded("wang")
>>> throttle.wait("wang", "10.0.0.2")
0
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "ACCOUNT_LIMIT",
    "ADDRESS_LIMIT",
    "FIRST_DELAY",
    "MAX_DELAY",
    "WINDOW",
    "LoginThrottle",
]

#: Failures of one account within :data:`WINDOW` before it is locked.
ACCOUNT_LIMIT = 5
#: Failures from one client address within :data:`WINDOW` before it is locked.
ADDRESS_LIMIT = 20
#: Seconds over which failures are counted.
WINDOW = 5 * 60
#: Seconds of the first lock; each further failure doubles it.
FIRST_DELAY = 30
#: The longest lock, in seconds.
MAX_DELAY = 15 * 60
#: Entries kept before old ones are pruned.
_MAX_ENTRIES = 10_000


@dataclass
class _Count:
    failures: int = 0
    last: float = 0.0
    locked_until: float = 0.0


class LoginThrottle:
    """Failed logins per account and per client address (thread-safe, in memory)."""

    def __init__(
        self,
        *,
        account_limit: int = ACCOUNT_LIMIT,
        address_limit: int = ADDRESS_LIMIT,
        window: float = WINDOW,
        first_delay: float = FIRST_DELAY,
        max_delay: float = MAX_DELAY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.account_limit = account_limit
        self.address_limit = address_limit
        self.window = window
        self.first_delay = first_delay
        self.max_delay = max_delay
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], _Count] = {}

    def wait(self, name: str, address: str | None) -> int:
        """Seconds before ``name`` may try again from ``address`` (0: now)."""
        stamp = self._clock()
        with self._lock:
            until = max(
                (c.locked_until for c in self._find(name, address) if c is not None), default=0.0
            )
        return max(0, math.ceil(until - stamp))

    def failed(self, name: str, address: str | None) -> None:
        """Count a wrong name or password for ``name`` from ``address``."""
        stamp = self._clock()
        with self._lock:
            if len(self._counts) >= _MAX_ENTRIES:
                self._prune(stamp)
            self._count(("name", name), self.account_limit, stamp)
            if address:
                self._count(("address", address), self.address_limit, stamp)

    def succeeded(self, name: str) -> None:
        """A right password for ``name``: forget its failures (the address keeps its count)."""
        with self._lock:
            self._counts.pop(("name", name), None)

    def _find(self, name: str, address: str | None) -> tuple[_Count | None, ...]:
        found = (self._counts.get(("name", name)),)
        return found + ((self._counts.get(("address", address)),) if address else ())

    def _count(self, key: tuple[str, str], limit: int, stamp: float) -> None:
        count = self._counts.get(key)
        if count is None or (stamp - count.last > self.window and stamp >= count.locked_until):
            count = self._counts[key] = _Count()
        count.failures += 1
        count.last = stamp
        if count.failures >= limit:
            delay = self.first_delay * 2 ** min(count.failures - limit, 30)
            count.locked_until = stamp + min(delay, self.max_delay)

    def _prune(self, stamp: float) -> None:
        """Drop counts that no longer matter (outside the window and not locked); under a
        flood of fresh names, the older half of the unlocked ones too."""
        stale = [
            key
            for key, count in self._counts.items()
            if stamp - count.last > self.window and stamp >= count.locked_until
        ]
        for key in stale:
            del self._counts[key]
        if len(self._counts) >= _MAX_ENTRIES:  # a flood of fresh names: keep the newest half
            ordered = sorted(
                self._counts,
                key=lambda k: (self._counts[k].locked_until > stamp, self._counts[k].last),
            )
            for key in ordered[: len(ordered) // 2]:
                del self._counts[key]
