"""The RQ runtime: jobs, worker, staging, sealing and retention, calling backend.core."""
