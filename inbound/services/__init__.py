"""Every state change of inbound e-mail: addresses (aliases), received messages, e-mails to
requesters. A module per domain."""
