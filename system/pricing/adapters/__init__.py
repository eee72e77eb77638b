"""Adapters of the pricing workers: the File Service HTTP client and the local model cache."""
