"""The consumer's pages: complaint form, receipt, tracking."""
