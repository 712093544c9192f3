"""Pages anyone may read without logging in: the public record of each enterprise."""
