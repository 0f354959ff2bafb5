"""People (feature): OIDC sign-in, users, invitations, the first local administrator."""
