"""Multi-factor authentication, one module per concern (import from the modules):

- ``state``: a user's enabled factors, preferred method, status (one reader for every surface);
- ``totp``, ``backup_codes``: TOTP enrolment and checks, recovery codes;
- ``recent``: re-authentication and the recent-authentication guard;
- ``manage``: preferred method, disabling MFA, an administrator's reset;
- ``pending``, ``login_step``, ``email_codes``, ``enrollment``: the second step of every login;
- ``webauthn``: security keys and passkeys (registration, assertion, passkey first factor);
- ``trusted``: trusted devices, whose logins skip the second factor.
"""
