"""Re-confirmation campaigns: focal points are reminded by email and re-confirm in one click."""
