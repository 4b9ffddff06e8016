"""Second factors: TOTP (RFC 6238), recovery codes, and the `mfa_token` of a log-in's
second step."""
