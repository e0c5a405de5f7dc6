"""Kept so that code written against this path keeps working: the French
formatting module is `ramu_cli.french` (the console, the messages of the core
and the documents all use it, so it does not live inside documents/)."""

from ramu_cli.french import *  # noqa: F403
from ramu_cli.french import __all__  # noqa: F401
