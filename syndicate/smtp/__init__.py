"""The SMTP side of delivery: a pool of aiosmtplib connections with a shared rate limit."""

from syndicate.smtp.bucket import TokenBucket
from syndicate.smtp.pool import SmtpPool

__all__ = ["SmtpPool", "TokenBucket"]
