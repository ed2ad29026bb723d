"""Request ids, logs and Prometheus metrics: what operators see of the service."""
