"""A sliding-window limit per key (client address, email address), kept in memory.

One process serves the forms, so memory is enough; a restart forgets, which only
errs toward letting a person retry. Old keys are dropped so the table stays small.
"""

from __future__ import annotations

from collections import deque

from syndicate.clock import Clock


class RateLimit:
    def __init__(self, clock: Clock, limit: int, per_seconds: float, max_keys: int = 100_000):
        self.clock = clock
        self.limit = limit
        self.per_seconds = per_seconds
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        """Count one attempt for ``key``; False when it is over the limit (not counted then)."""
        now = self.clock.now().timestamp()
        horizon = now - self.per_seconds
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self.max_keys:
                self._prune(horizon)
            hits = self._hits[key] = deque()
        while hits and hits[0] <= horizon:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        return True

    def _prune(self, horizon: float) -> None:
        stale = [key for key, hits in self._hits.items() if not hits or hits[-1] <= horizon]
        for key in stale:
            del self._hits[key]
        if len(self._hits) >= self.max_keys:  # still full of live keys: forget the oldest half
            for key in list(self._hits)[: self.max_keys // 2]:
                del self._hits[key]
