"""ramu-cli: monthly liquidation and remittance audit for Mali's RAMU."""

__version__ = "0.1.0"
