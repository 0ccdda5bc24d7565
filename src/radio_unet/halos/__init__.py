"""Radio-halo classifiers (issue 17)."""
