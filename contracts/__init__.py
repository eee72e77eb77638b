"""API contracts: Pact consumer/provider tests (later) and schemathesis fuzzing of every service (`fuzz/`)."""
