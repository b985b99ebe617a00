"""LE-KO KYC: client (HTTP), adapter (normalize, sync, write back) and a sandbox."""
