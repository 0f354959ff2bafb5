"""Partner systems (feature, above the directory): OAuth 2 clients, tokens, the token server."""
