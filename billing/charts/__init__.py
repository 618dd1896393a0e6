"""SVG charts of the billing pages, a module per page."""
