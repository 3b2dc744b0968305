"""Customers: one outage episode per (customer, service) and the notices it earns.

Owns the episode state machine: the tracker and the outage rules (``episodes``) and the
scheduled-notice rules (``notices``), composed over one episode book (``episode_book``: the
state, its timers and incident index); the timers bucketed by deadline (``timer_queue``),
the legal clocks per country (``legal_clocks``), the batched changelog of the episode table
(``episode_changelog``) and the customer stage that applies one ``impacts`` message to a
partition's table (``stage``). Pure: the table is a mapping, the clock is the messages'
event time; every decision carries a named reason.
"""
