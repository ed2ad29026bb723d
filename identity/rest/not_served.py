"""Documented paths not served yet, each with the open issue that brings it.

Keys are (method, path) as ``shared/seeds/endpoints.tsv`` writes them. The value is the issue
number (``issues list``), or ``later`` for capabilities that have no issue yet. When a path
starts being served, its row moves from here to its resource's route table;
``tests/rest/test_route_tables.py`` fails while a path is in both or in neither.
"""

from __future__ import annotations

from typing import Final

LATER: Final = "later"

NOT_SERVED: dict[tuple[str, str], str] = {
    # Audit query and export: later (no issue yet)
    ("GET", "/api/v1/audit/export"): LATER,
    ("GET", "/api/v1/audit/logs/export"): LATER,
    ("GET", "/api/v1/audit/organization/{organization_id}/stats"): LATER,
    ("GET", "/api/v1/audit/user/{user_id}/activity"): LATER,
    ("GET", "/v1/admin/users/export"): LATER,
    # Statistics: later (no issue yet)
    ("GET", "/api/v1/stats/overview"): LATER,
    ("GET", "/api/v1/stats/users"): LATER,
    ("GET", "/v1/admin/stats"): LATER,
    # Impersonation: later (no issue yet)
    ("GET", "/v1/admin/impersonation-sessions"): LATER,
    ("POST", "/v1/admin/users/{id}/impersonate"): LATER,
    ("POST", "/v1/auth/impersonation/end"): LATER,
    ("GET", "/v1/auth/impersonation/status"): LATER,
    # Bulk import: later (no issue yet)
    ("POST", "/v1/admin/users/import"): LATER,
    ("POST", "/v1/admin/users/import/csv"): LATER,
    # API keys: later (no issue yet)
    ("GET", "/v1/api-keys"): LATER,
    ("POST", "/v1/api-keys"): LATER,
    ("DELETE", "/v1/api-keys/{id}"): LATER,
    ("GET", "/v1/api-keys/{id}"): LATER,
    ("POST", "/v1/api-keys/{id}/rotate"): LATER,
    # Webhooks: later (no issue yet)
    ("GET", "/v1/webhooks"): LATER,
    ("POST", "/v1/webhooks"): LATER,
    ("DELETE", "/v1/webhooks/{id}"): LATER,
    ("GET", "/v1/webhooks/{id}"): LATER,
    ("PUT", "/v1/webhooks/{id}"): LATER,
    ("GET", "/v1/webhooks/{id}/deliveries"): LATER,
    # Social login: later (no issue yet)
    ("GET", "/v1/oauth/providers"): LATER,
    ("GET", "/v1/oauth/{provider}/authorize"): LATER,
    ("GET", "/v1/oauth/{provider}/callback"): LATER,
}
