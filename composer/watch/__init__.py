"""Watch stage: file and engine events mark a project dirty; one loop converges."""
