"""Consumer pact tests: each consumer's real client class against the Pact mock server."""
