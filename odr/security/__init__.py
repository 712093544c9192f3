"""Security of the web service: response headers and the checks of production settings."""
