"""Incode Omni: client (HTTP), adapter (normalize, webhook, write back) and a sandbox."""
