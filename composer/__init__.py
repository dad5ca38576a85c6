"""Composer: a desktop mail composer for the SparkPost / Bird SMTP relay."""

__version__ = "0.1.0"
__all__ = ["__version__"]
