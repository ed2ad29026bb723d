"""Mail: an outbox written in the business transaction, and the worker that delivers it."""
