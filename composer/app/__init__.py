"""Application services: what the CLI and the window both do, written once.

``context`` (the one place where the app's folders are chosen, and the stores opened from
them), ``connect`` (from a profile to an open session), ``deliver`` (a batch through the outbox)
and ``profile_test`` (log in with a profile, send nothing). Above the transport, below the GUI
and the CLI: it never imports Qt.
"""
