"""`composer exec`, `run`, `top`, `port`, `events` and `cp`."""
