"""Celery tasks of the billing app, a module per domain. Importing the package imports every
module, so Celery's autodiscovery registers them all; task names keep the modules they were
first written in (`name=`), so queued tasks and the beat schedule keep working."""

from . import earnings, invoicing, ledger

__all__ = ["earnings", "invoicing", "ledger"]
