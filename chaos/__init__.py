"""The chaos suite: faults injected into the running stack while orders flow, and a checker of what came out."""
