"""Signals other apps may subscribe to without `ml` importing them."""

from django.dispatch import Signal

# Sent once a new champion serves and its answer index is built (kwargs: organization,
# version). The solutions app re-triages tickets that arrived while no model could serve.
champion_ready = Signal()
