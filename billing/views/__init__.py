"""Pages of the billing app, a module per domain (subscriptions, usage, earnings)."""
