"""What the local relay takes from a client before it gives up on it, in one place.

The relay's documentation (seeds/000-004) gives no message size; 20 MB is the figure SparkPost
publishes for a transmission's content (developers.sparkpost.com, Transmissions) and the one
issue 12 sets when none is documented. The idle drop after one minute is documented: "SparkPost
will automatically disconnect idle connections after 1 minute" (seeds/000).

Every limit exists so that a client, hostile or broken, costs the relay a bounded amount of
memory and time: a message, a request head, a request body, a connection's idle time, the
number of connections served at once, and the commands one SMTP session may send.
"""

from __future__ import annotations

__all__ = [
    "COMMAND_LIMITS",
    "IDLE_TIMEOUT",
    "MAX_CONNECTIONS",
    "MAX_HEAD",
    "MAX_HTTP_BODY",
    "MAX_MESSAGE",
    "REQUEST_TIMEOUT",
]

MAX_MESSAGE = 20 * 1024 * 1024  # one message, as DATA or as content.email_rfc822
# The JSON around it: escaping turns each CRLF into 4 bytes and a non-ASCII byte into up to 6.
MAX_HTTP_BODY = 2 * MAX_MESSAGE
MAX_HEAD = 64 * 1024  # an HTTP request line and headers
IDLE_TIMEOUT = 60.0  # seconds a connection may say nothing (seeds/000: 1 minute)
REQUEST_TIMEOUT = 60.0  # seconds for one HTTP request's headers and body, once it has begun
MAX_CONNECTIONS = 8  # SMTP sessions, and HTTP requests, at once: each may hold one message

# Times each command may be sent in one SMTP session (aiosmtpd's command_call_limit; past it a
# 421 and the connection is closed). Every command resets the idle timer, so without a count a
# client sending NOOP or RSET forever would hold one of the MAX_CONNECTIONS slots forever.
# Generous for a real client: the relay takes 100 messages per connection (seeds/000) and
# Composer reconnects after that; 1000 MAIL, DATA and RSET is ten times as many, 10 000 RCPT
# ten recipients for each; EHLO twice (before and after STARTTLS), more for clients that
# say it again after a RSET. "*" is every other command (HELP, VRFY, EXPN, an unknown one).
COMMAND_LIMITS = {
    "MAIL": 1000,
    "RCPT": 10_000,
    "DATA": 1000,
    "BDAT": 1000,
    "RSET": 1000,
    "NOOP": 100,
    "EHLO": 10,
    "HELO": 10,
    "STARTTLS": 2,
    "AUTH": 10,
    "QUIT": 1,
    "*": 20,
}
