"""Time: class recurrence, reminder and coaching plans, the durable outbox of due work, runners.

No HTTP here; `web/` wires the real SMS sender, the clock and the rate limiter in."""
