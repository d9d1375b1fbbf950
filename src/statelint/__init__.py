"""statelint: find hidden state that breaks stateless, horizontally scaled Python services."""

__version__ = "0.1.0"
