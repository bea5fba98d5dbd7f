"""Live heart rate in the web layer: ingest routes, the live socket, pages, staff API.

The route table is in `web.heart_rate.routes`; this package module imports nothing, so that a
module here (the rate limiter `web.context` needs) can be imported without its pages.
"""
