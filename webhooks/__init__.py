"""Outbound signed webhooks: organizations register endpoints, ticket events are delivered
to them signed in the Standard Webhooks scheme, retried with backoff, and logged."""
