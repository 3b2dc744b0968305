"""Input: whatever a NOC sends, turned into forewarn's typed input records (CONTRACT §3).

Owns the four alarm formats and the NOC's own records (``formats/``), the registry that
detects the format per object and names every offending field (``normalise``), and the
parsing and limits of HTTP ingest bodies (``http_ingest``). Pure: no broker, no web
framework; rejected input becomes a dead-letter record with its reason.
"""
