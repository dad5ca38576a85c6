"""What the local relay takes from a client before it gives up on it, in one place.

The relay's documentation (seeds/000-004) gives no message size; 20 MB is the figure SparkPost
publishes for a transmission's content (developers.sparkpost.com, Transmissions) and the one
issue 12 sets when none is documented. The idle drop after one minute is documented: "SparkPost
will automatically disconnect idle connections after 1 minute" (seeds/000).

Every limit exists so that a client, hostile or broken, costs the relay a bounded amount of
memory and time: a message, a request head, a request body, a connection's idle time and the
number of connections served at once.
"""

from __future__ import annotations

__all__ = [
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
