"""The worker's HTTP port (CONTRACT §7): routes, API, pages, feeds and metrics.

Owns the Faust web wiring and request routing to the worker that holds the state
(``routes``), the handlers as plain functions (``api``), the service-desk caller view
(``desk``), the IVR/CTI caller answer (``callers``), the public status page (``status``,
``shapes``), CAP/Atom (``cap``), the OpenAPI document (``openapi``), Prometheus metrics
(``metrics``), security headers and header-free logs (``response_headers``,
``header_logging``), templates, static files and UI strings (``pages/``, ``static/``,
``i18n/``).
"""
