"""Region data: loading and validating layers, the impact index, synthetic regions.

No Faust or aiokafka here: everything in ``forewarn.geo`` is pure and synchronous, usable
from the stream agents, the CLI and tests alike.

    load_region(path) -> Region            validated frames (RegionError names file/row)
    RegionIndex.build(region)              arrays answering "who is out if X is down"
    write_synthetic_region(dir, n, seed)   a realistic region for demos and benchmarks
"""

from __future__ import annotations

from forewarn.geo._ids import CustomerIds, IdArray
from forewarn.geo.index import RegionIndex
from forewarn.geo.region import Region, load_region
from forewarn.geo.synth import write_synthetic_region

__all__ = ["CustomerIds", "IdArray", "Region", "RegionIndex", "load_region",
           "write_synthetic_region"]
