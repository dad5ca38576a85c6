"""Getting messages to the relay: providers and profiles, credentials, the SMTP session and
the one synchronous send path. No Qt: the window runs ``send_batch`` on a QThread."""
