"""The preview: what recipients get, rendered off the UI thread and shown in a locked-down web
view. ``scheme`` (registered before the QApplication), ``pipeline`` (render, on a worker),
``strip`` (what the preview may not load), ``view`` (the web view), ``panel`` (the tabs),
``schedule`` (when to render and which result to show), ``copy_viewer`` (a delivered copy).

Empty on purpose: start-up imports ``scheme`` alone, the web view classes come later."""
