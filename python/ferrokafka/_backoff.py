"""Exponential backoff with jitter, as the Java client's ``ExponentialBackoff``.

One formula serves every growing wait of the producer: reconnecting to a broker
(``reconnect_backoff_ms`` → ``reconnect_backoff_max_ms``), the timeout of a connection attempt
(``socket_connection_setup_timeout_ms`` → ``socket_connection_setup_timeout_max_ms``), metadata
refreshes that found nothing new and batches sent again (``retry_backoff_ms`` →
``retry_backoff_max_ms``). The jitter keeps many clients that failed together from retrying in
lockstep.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

#: Java's ``CommonClientConfigs`` use 2 and 0.2 for every one of these backoffs.
MULTIPLIER = 2
JITTER = 0.2


@dataclass(frozen=True, slots=True)
class ExponentialBackoff:
    """``initial_ms * 2**attempts`` with ±20% jitter, never above ``max_ms``. When ``max_ms``
    is not above ``initial_ms`` the wait is ``max_ms`` from the first attempt on, constant and
    without jitter, as in Java (KIP-580)."""

    initial_ms: int
    max_ms: int

    def backoff_ms(self, attempts: int) -> int:
        """The wait after ``attempts`` consecutive failures (0 for the first wait)."""
        if self.max_ms <= self.initial_ms:
            return self.max_ms
        # The exponent at which the wait reaches max_ms: attempts beyond it change nothing.
        exp_max = math.log(self.max_ms / max(self.initial_ms, 1), MULTIPLIER)
        term = self.initial_ms * MULTIPLIER ** min(attempts, exp_max)
        return min(int(term * random.uniform(1 - JITTER, 1 + JITTER)), self.max_ms)
