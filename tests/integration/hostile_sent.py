"""What a hostile fake of tests/integration/bounds.sh sent one client, and
for how long, until the client went: the line "WHAT: N octets sent in S s"
its log shows, which tells the test that the client stopped early.
"""
import time


class Sent:
    """Counts octets (n) from now; str() is the log line."""

    def __init__(self, what):
        self.what = what
        self.n = 0
        self.t0 = time.monotonic()

    def __str__(self):
        return "%s: %d octets sent in %.1f s" % (
            self.what, self.n, time.monotonic() - self.t0)
