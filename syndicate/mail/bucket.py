"""A token bucket: the one rate limit every connection of a pool draws from."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class TokenBucket:
    """``rate`` tokens a second, holding at most ``burst``; a rate of 0 means no limit.

    Waiters are served in arrival order, so no connection starves.
    """

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rate = rate
        # A tenth of a second's worth: smooth enough for a relay, no long bursts.
        self.burst = burst if burst is not None else max(1.0, rate / 10)
        self._monotonic = monotonic
        self._sleep = sleep
        self._tokens = self.burst
        self._stamp = monotonic()
        self._lock: asyncio.Lock | None = None

    def _refill(self) -> None:
        now = self._monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    async def take(self) -> None:
        if self.rate <= 0:
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            self._refill()
            if self._tokens < 1:
                await self._sleep((1 - self._tokens) / self.rate)
                self._refill()
            self._tokens -= 1
