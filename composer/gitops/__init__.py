"""GitOps: saved plans that apply only against the state they were made from,
a loop that follows a git branch, and the masking of secret values in output."""
