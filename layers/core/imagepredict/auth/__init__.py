"""Accounts and tokens: registration, sign-in with throttling, JWT access tokens, rotating refresh tokens, and the
account's emails (password reset, address verification); built from settings in auth/wiring.py.

The package itself imports nothing, so a module that needs one part (the result notifier reads whether an owner is
verified, in the batch worker too, whose image has neither bcrypt nor PyJWT) imports that part alone.
"""
