"""The network's view, in one order: alarms and windows in, customer impacts out.

Owns element alarm states (``elements``), maintenance windows (``windows``), cable cuts
(``cuts``), flapping, incidents and their board (``incident_board``), degraded service
(``degraded``), the correlator that turns network changes into per-customer service states
(``correlation``, ``service_states``, ``events``), swapping index versions in stream order
(``index_swap``, ``index_reload``) and the network stage that wires them for one record
(``stage``). Pure: state as plain dicts, time from the records' event time.
"""
