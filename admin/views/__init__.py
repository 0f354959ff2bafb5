"""The admin's pages, one module per area: directory, work plan, accounts, audit log, dashboard."""
