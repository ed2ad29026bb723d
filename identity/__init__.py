"""identity: a GraphQL identity API for single-page apps and APIs."""

__version__ = "0.1.0"
SERVICE_NAME = "identity"
