"""Shared test parts: real servers and peers on loopback, fakes of the library kind only (a real
keyring backend class kept in memory), and the command-line runner.

Importable as ``support`` from every test (pytest's ``pythonpath = ["tests"]`` in pyproject.toml)
and from the runners in tests/reliability and tests/bench, which are run as modules from the
tests folder (``cd tests && python -m bench.run_all``): Python puts the current folder first on
``sys.path`` for ``-m`` exactly as pytest's setting does, so nothing edits ``sys.path``.

- ``cli``          the real ``composer`` command in a subprocess (``run_composer``, ``child_env``)
- ``net``          loopback ports: ``free_port``, ``wait_for_port``, ``ConnectionCounter``,
                   ``started`` (servers stopped at the end, whatever happened)
- ``keyrings``     ``MemoryKeyring`` (a real keyring backend class) and ``using_keyring``
- ``endpoints``    SMTP and REST endpoints aimed at the servers below, with short deadlines
- ``drafts``       drafts and messages built the real way (``build_messages``)
- ``smtp_faults``  aiosmtpd with STARTTLS and AUTH LOGIN that misbehaves on request
- ``smtp_hostile`` a raw-socket SMTP peer that breaks the protocol itself
- ``smtp_gated``   aiosmtpd that holds a reply (or kills the client) at a chosen moment
- ``http_faults``  a Transmissions API over TLS that misbehaves on request
- ``http_hostile`` a raw-socket HTTP peer that breaks the protocol itself
"""
