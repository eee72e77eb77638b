"""Provider verification: every committed HTTP pact replayed against the running providers of the stack."""
