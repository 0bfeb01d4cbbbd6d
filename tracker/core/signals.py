"""Signals between packages whose imports point the other way (STYLE §12).

- ``sweep_ran``: sent by ``flask --app tracker sweep`` after the case
  sweep, with the app as sender; each receiver does its periodic work,
  commits, and returns lines to print (e.g. tracker.operations.retention).
"""
from blinker import Namespace

_signals = Namespace()

sweep_ran = _signals.signal("sweep-ran")
