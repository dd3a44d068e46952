"""The embedded Montlake API simulator: the demo's backend and the tests' server.

`Simulator` serves one workspace over HTTP on loopback, exactly as the wire
contract describes, with runs that really execute on a scalable (or manual)
clock, signed webhook deliveries, SSE streams and fault injection.
"""

from mlkwatch.sim._app import RequestRecord
from mlkwatch.sim._faults import Faults
from mlkwatch.sim._server import Simulator
from mlkwatch.sim._webhooks import sign

__all__ = ["Faults", "RequestRecord", "Simulator", "sign"]
