"""Pricing worker pool: consumes pricing requests, measures the model, applies the cost model, publishes the result."""
