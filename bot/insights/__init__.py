"""Service-quality insights: the satisfaction report and its figures (policy section 6)."""
