"""Property-based fuzzing of each service's OpenAPI against the running services (schemathesis)."""
