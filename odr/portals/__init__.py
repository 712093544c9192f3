"""The three portals (consumer, enterprise, regulator): controllers and their templates."""
