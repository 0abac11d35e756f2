"""Plan stage: a pure function from desired and observed state to a Plan."""
