"""REST views of the solutions app, a module per domain (wired in solutions/api/urls.py)."""
