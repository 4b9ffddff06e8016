"""Passkeys (WebAuthn): enrolment, log-in with a passkey alone, and proving it again."""
