"""`GET /metrics`: Prometheus text exposition (0.0.4) for one process (docs/metrics.md).

exposition.py  the text format: families, samples, escaping
store.py       the clinic-wide numbers: two aggregate queries per scrape
collect.py     every family, from the process's live objects and the store
api.py         the route (Access.METRICS: the scraper's bearer token)
"""
