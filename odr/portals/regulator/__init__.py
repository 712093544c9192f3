"""The regulator workbench: queues and case decisions."""
