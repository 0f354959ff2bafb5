"""The flask-admin UI for the secretariat and the member-state focal points (to come)."""
