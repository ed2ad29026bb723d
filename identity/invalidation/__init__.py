"""The principal cache and what keeps it true: every change that ends or narrows a caller's
access invalidates it, on every replica, in the transaction that makes the change.

- ``cache``: the snapshots ``authenticate`` needs, by session id, and the permissions held
  by (user, tenant); usable only while an invalidation channel is up.
- ``channel``: PostgreSQL triggers (migration 0014) ``pg_notify`` every change; one listener
  per process applies them, and the cache is bypassed while it is disconnected.
- ``local``: this process's own writes, seen on its engine: on PostgreSQL they hold the
  cache until the listener has received their notifications; on SQLite (one process) they
  invalidate it directly. A write the engine does not see (a statement on the driver) is
  told the same way through ``PrincipalCache.own_write``.
"""
