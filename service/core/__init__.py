"""The core, bottom layer, imports no feature: database, errors, the access rule, text, limits."""
