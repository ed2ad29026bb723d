"""The invitation status enum, registered with Strawberry before any type names it (the
tenant's ``invitations(status:)`` argument and the invitation types alike): an enum a field
names before it is registered would be defined twice."""

from identity.models import InvitationStatus as InvitationStatusModel
from schema.enums import graphql_enum

graphql_enum(
    InvitationStatusModel,
    name="InvitationStatus",
    description="Where an invitation stands.",
    values={
        InvitationStatusModel.PENDING: "Mailed, not yet accepted, still valid.",
        InvitationStatusModel.ACCEPTED: "Accepted: its address joined the tenant.",
        InvitationStatusModel.REVOKED: "Revoked by an administrator.",
        InvitationStatusModel.EXPIRED: "Past its expiry (or replaced after it) unaccepted.",
    },
)

__all__ = ["InvitationStatusModel"]
