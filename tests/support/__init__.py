"""Shared test parts: real servers and peers on loopback, fakes of the library kind only (a real
keyring backend class kept in memory), the command-line runner and the draft factories.

How it is found, in one place each and without any file editing ``sys.path``:
- pytest: ``pythonpath = ["tests"]`` in pyproject.toml, so every test imports ``support.…``;
  the fixtures stay in the conftest.py files as thin wrappers over these modules.
- the runners: ``cd tests && python -m reliability.run_all`` and ``python -m bench.bench_send``
  (tests/bench/run_all.py starts each benchmark that way). For ``-m`` Python puts the current
  folder first on ``sys.path``, the same folder pytest adds, so the runners import the very
  modules the tests use, under the same names.

- ``cli``          the real ``composer`` command: ``run_composer``, ``watched`` children with a
                   deadline, ``child_env``, and the ``send_args`` / ``connection_args`` lists
- ``net``          loopback: ``free_port``, ``wait_for_port``, ``tls_server_context``,
                   ``ConnectionCounter``, ``started`` (servers stopped at the end, always)
- ``keyrings``     ``MemoryKeyring`` (a real keyring backend class) and ``using_keyring``
- ``gui``          ``on_screen`` (shown and exposed) and the main window with its teardown checks
- ``drafts``       drafts built the real way: ``ok_draft``, ``hello_draft``, ``draft``,
                   ``messages``, and ``problems`` (validate's verdict by field)
- ``endpoints``    SMTP and REST endpoints aimed at the servers below, with short deadlines
- ``sizes``        the quick and the full size of the crash suites
- ``threats``      tests/reliability/THREATS.md as data (its rows, cells and named tests)
- ``smtp_faults``  aiosmtpd with STARTTLS and AUTH LOGIN that misbehaves on request
- ``smtp_hostile`` a raw-socket SMTP peer that breaks the protocol itself
- ``smtp_gated``   aiosmtpd that holds a reply (or kills the client) at a chosen moment
- ``http_faults``  a Transmissions API over TLS that misbehaves on request
- ``http_hostile`` a raw-socket HTTP peer that breaks the protocol itself
"""
