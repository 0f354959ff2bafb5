"""Webhooks: partners are told of changes by signed POSTs, from an outbox kept with each change."""
