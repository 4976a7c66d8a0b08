"""The Workspace and everything engine-specific: connections, atomic loads, lineage."""
