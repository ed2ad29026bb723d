"""HTTP helpers shared by the REST and GraphQL adapters: cookies, request meta, bearer tokens."""
