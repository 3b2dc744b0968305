"""The pipeline: one subpackage per stage, in the order data flows through them.

::

    NOC systems ─▶ alarms.raw (1 partition: the network's one order) ◀─ contacts.raw
                    │                                     (call centre, IVR, app, desk)
      input/        parse any of the four alarm formats, maintenance windows, NOC updates,
                    │  customers' contacts (HTTP ingest parses here too; bad input ─▶
                    │  alarms.dead-letter)
      network/      element states, windows, cable cuts, incidents, degraded service:
                    │  which elements are down, which windows run, in event time;
                    │  suspected incidents from customers' reports; incident lifecycle
                    │  events ─▶ incidents.events (counted per customer on this worker)
                    ▼
                  impacts (P partitions; element-level changes, the same to every one)
                    │
      customers/    this partition's customers' impacts from its replica of the down set
                    │  and windows (network_view); one episode per (customer, service):
                    │  confirm / resolve timers,
                    │  planned, update and legal notices; decisions with named reasons
                    ▼
                  notifications.outbox (P partitions, same partition function)
                    │
      delivery/     policy (channel, quiet hours, deferral), rendering, idempotent delivery,
                    │  what each customer was told
                    ▼
                  notifications.delivered ─▶ the incident board's "customers told"

    kafka/     the only modules that import faust or aiokafka: the app and its topics and
               tables, the network feed, journals, fences, transport, embedded broker
    web/       the worker's HTTP port: ingest routes, API, desk, status, CAP, OpenAPI, metrics
    commands/  ``forewarn worker``, ``replay`` and ``demo`` put the pieces together

``input/``, ``network/``, ``customers/`` and ``delivery/`` are the pure core: plain classes
that take state as a mapping and time as an argument, so the same code runs live, in replay
and in unit tests without a broker. ``records`` (the values on internal topics), ``reasons``
(why the core decided something) and ``partitioning`` (which partition a customer lives on)
are shared by all stages. ``tests/unit/test_architecture.py`` enforces the boundaries.
"""
