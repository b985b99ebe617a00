"""``make bench``: kycdash's performance figures on generated data."""
