"""Mail: messages written to an outbox in the transaction that makes what they carry, and
delivered over SMTP by a sender with retries, so a mail server that is down delays mail
and loses none."""
