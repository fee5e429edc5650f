"""Sending finished messages: the ``Sender`` interface, a Maildir writer and an SMTP pool.

Nothing here reads the config: callers hand each sender plain values.
"""
