"""The long-running commands: ``forewarn worker``, ``forewarn replay``, ``forewarn demo``.

Owns putting the pieces together for each: the worker in live time (``worker``), replay of
an alarm log in event time with a final drain (``replay``), and the demo with its scripted
outage story (``demo``, ``story``). Each builds the pipeline from ``kafka.app`` with its
own settings; only the feeding of input goes through ``kafka.input_producer``.
"""
