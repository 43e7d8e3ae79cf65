"""The administrator's side of the service: users, every prediction, stats, the classify dead-letter queue, and the
audit log of every administrator's action. Each route takes an AdminCaller (api/caller.py); wiring.py builds it all."""
