"""The LE-KO KYC sandbox: a simulator of the LE-KO API for the demo and the tests."""
