"""Tenants (seed 004's organizations): their records, their members, their figures."""
