"""Pure rules, no database: workflows and their shared state machines, the working-day calendar."""
