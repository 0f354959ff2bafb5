"""The directory (feature, over the audit log): member states, authorities, contact points."""
