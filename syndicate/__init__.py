"""syndicate: feeds and daily digests for news publishers."""

__version__ = "0.1.0"
