"""`composer start`, `stop`, `restart`, `pause`, `unpause`, `kill` and `rm`."""
