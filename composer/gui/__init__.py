"""Every widget, the preview and the Qt workers. The only package that may import Qt."""
