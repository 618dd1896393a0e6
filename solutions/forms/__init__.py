"""Forms of the solutions app, a module per domain."""
