"""can-i-deploy without a broker: every committed pact verified in this run, and no drift from the consumer tests."""
