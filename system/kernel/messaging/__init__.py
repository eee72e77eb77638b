"""Reliable messaging: envelope and catalogue, topology, confirmed publishing, outbox, inbox, consumers."""
