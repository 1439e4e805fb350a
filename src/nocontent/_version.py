__version__ = "0.1.0"
"""The package version, also sent in the Server field."""
