"""Operations: health, metrics, logs, and where sessions and rate-limit counters live."""
