"""Authentication at every seed's paths: my account, tokens, mailed links."""

from identity.rest.auth import account, links, tokens

ROUTES = (*account.ROUTES, *tokens.ROUTES, *links.ROUTES)
