"""URLconfs of the solutions app, a module per domain, each mounted by config/urls.py."""
