"""The classify pipeline: an object in the bucket becomes a stored, emailed prediction, exactly once per version.

Nothing is imported here: the admin API reads dead letters with events.py, and must not pull in the service's NumPy
(its function has the core layer only).
"""
