"""Bounce and complaint reports that come back after the SMTP session.

A VERP return path names the outbox row each report is about (``verp``);
reports are parsed without side effects (``reports``, ``providers``), matched to
a subscriber and applied through the subscriber lifecycle (``apply``).
"""
