"""Celery tasks of the solutions app, a module per domain. They take ids, load, and call a
service. Importing the package imports every module, so Celery's autodiscovery (which imports
`solutions.tasks`) registers them all. Task names keep the modules they were first written in
(`name=`), so tasks already queued and the beat schedule keep working."""

from . import conversations, experts, knowledge, tickets

__all__ = ["conversations", "experts", "knowledge", "tickets"]
