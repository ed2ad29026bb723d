"""WebAuthn: security keys and passkeys, one module per ceremony (import from the modules).

- ``ceremony``: what every ceremony shares: the relying party, challenges (5 minutes, single
  use, found by the challenge the browser signed), parsing a response under a size cap;
- ``registration``: register an authenticator to the signed-in account;
- ``credentials``: list and remove them (removal needs recent authentication);
- ``assertion``: the second step of a login (``verify_login_assertion`` for
  ``pending.complete``), the sign counter and the clone check;
- ``passkey``: a discoverable credential with user verification as the first factor.

py_webauthn (with pyasn1 and pyOpenSSL, ~5 MB resident) is imported inside the functions
that call it, so a server that never sees a security key never loads it.
"""
