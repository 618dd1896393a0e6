"""The REST plumbing every app's API shares: the one error shape (RFC 9457 problem details),
authentication by API key, scope permissions, the base view classes that resolve and enforce
the caller's tenancy, plan rate limits, `Idempotency-Key`, pagination, the JSON parser and the
OpenAPI schema helpers. The apps' own endpoints live in `<app>/api/`; this app owns no
endpoint. It imports `accounts` and calls `billing` only through `billing.services`."""
