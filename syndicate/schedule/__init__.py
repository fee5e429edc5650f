"""When things run: the digest send slots, the scheduler lock, the service's jobs."""
