"""CRM: accounts, orders and their lifecycle; talks to MES through the outbox and its consumers."""
