"""Consumer message pacts: each consumer's real parsing and handling code reads the pact's message."""
