"""Helpers no app owns; imports no app, holds no models — not a Django app, nothing to add to
INSTALLED_APPS."""
