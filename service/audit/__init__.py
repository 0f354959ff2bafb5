"""The audit log (bottom feature, over the core): who changed what, recorded with each change."""
