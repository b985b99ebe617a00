"""A simulator of the Incode Omni API (Django app ``incode_sandbox``, at /sandbox/incode/)."""
