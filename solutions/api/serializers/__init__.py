"""REST serializers of the solutions app, a module per domain."""
