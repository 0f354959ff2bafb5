"""The work plan (feature): documents, recommendations, bodies, plans, activities, coverage."""
