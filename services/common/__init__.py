"""What several packages share and that is no service: words, durations, host names, and a
rolling window's arithmetic."""
