"""Put on PYTHONPATH by scripts/test-hours only, so every Python process of a faked run loads it.

libfaketime 0.9.10 (Debian's) with FAKETIME_DONT_FAKE_MONOTONIC=1 rewrites the absolute monotonic
deadline that `time.sleep` hands to clock_nanosleep into an invalid one: every sleep raises
EINVAL. Faking the monotonic clock too is worse (lock and queue waits, which libfaketime does not
wrap, then wait for the offset). So the monotonic clock stays real and `time.sleep` waits in
`select`, whose timeout is relative and passes through untouched.
"""

import os
import select
import time

if os.environ.get("FAKETIME"):

    def _sleep(seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            select.select([], [], [], left)

    time.sleep = _sleep
