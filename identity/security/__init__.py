"""Pure security primitives: password hashing and policy, tokens, CSRF and signing keys."""
