"""The window's dialogs, one module each: ``history``, ``sandbox``, ``outbox``, ``profiles``
(with its ``profile_form``), ``recovery``; what they share is in ``common``.

Each opens at once and loads in the background (``composer.gui.tasks``): nothing touches the
disk, the keyring or the network on the UI thread. Empty on purpose: a dialog is imported
when it is opened, not at start-up."""
