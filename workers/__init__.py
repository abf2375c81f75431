"""RQ jobs that turn accepted events into sealed, consented, pseudonymous training batches."""
