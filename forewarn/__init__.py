"""forewarn: tell telecom customers about network outages before they notice and call."""

__version__ = "0.1.0"
