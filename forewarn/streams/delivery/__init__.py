"""Delivery: a decision becomes a rendered message on the right channel, exactly once.

Owns the delivery policy (channel choice, quiet hours, deferral, rate limits, fallbacks;
``policy``), the delivery stage (render, send through ``forewarn.notifiers``, idempotent on
``notification_id``; ``stage``) and what each customer was told (``history``).
"""
