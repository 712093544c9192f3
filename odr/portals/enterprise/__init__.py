"""The enterprise portal: inbox and case handling."""
