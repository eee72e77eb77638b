"""Trace sink: receives OTLP/HTTP traces from the local stack, keeps the latest in memory, serves and draws them."""
