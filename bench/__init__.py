"""Measurements that take minutes and a running bot: `make soak` (and, later, `make bench`)."""
