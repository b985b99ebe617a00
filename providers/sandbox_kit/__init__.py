"""What the five provider sandboxes share: fault injection, the log of received calls,
notifications, control endpoints, the page's layout and drawing helpers.

Each sandbox (``providers/<name>/sandbox/``) keeps only what is its provider's own:
endpoints, auth, error bodies, scenarios and the images that differ.
"""
