"""Real-browser tests of the Shop (Playwright) against the running stack."""
