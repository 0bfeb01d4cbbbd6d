"""Operations: backup and restore, field-key rotation, data retention.

Commands (``flask --app tracker …``): ``backup``, ``restore``,
``keys rotate``, ``keys status``; retention runs in ``sweep``.
"""
