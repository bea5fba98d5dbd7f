"""Daily data in the web layer: the device API, FHIR Observations, the coach's CSV upload, the
patient's check-in card (docs/daily.md)."""
