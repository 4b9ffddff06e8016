"""The HTTP plumbing every slice uses: the client's address, the per-account and
per-address limits, the refresh cookie and its CSRF rule, the token response."""
