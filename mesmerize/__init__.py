"""Mesmerize: calcium imaging analysis from raw movies to publication figures."""

__version__ = "0.1.0"
