"""Message contracts: consumer message pacts, provider verification, release compatibility, the AsyncAPI document."""
