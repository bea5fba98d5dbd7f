"""Data for the clinic's reports: a class occurrence, a patient's progress, the whole program.

Pure functions over rows plus thin storage queries that take a Session; no HTTP, no clock (the
caller passes `now`). docs/reports.md defines every figure these modules compute.
"""
