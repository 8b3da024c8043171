"""Connect to partnergraph-server from Python (Debian's python3-thrift; run with /usr/bin/python3).

The Thrift-generated package `partnergraph_rpc` is not committed: the build generates it from
server/partnergraph.thrift into <build>/clients/python (CMake target pg_python_client), or run

    thrift --gen py -out DIR server/partnergraph.thrift

and put DIR on PYTHONPATH (README.md). This module only adds the transport settings the server
expects: framed transport, binary (default) or compact protocol.
"""

from thrift.protocol import TBinaryProtocol, TCompactProtocol
from thrift.transport import TSocket, TTransport

from partnergraph_rpc import PartnerGraph


def connect(host="127.0.0.1", port=9090, protocol="binary", timeout_s=30.0):
    """A Connection to partnergraph-server: `with connect(...) as client:` gives a
    PartnerGraph.Client and closes the connection on exit."""
    return Connection(host, port, protocol, timeout_s)


class Connection:
    """One connection (framed transport, binary or compact protocol), used as a context manager.

    Calls raise the IDL's typed exceptions (partnergraph_rpc.ttypes.NotFound, InvalidArgument,
    PermissionDenied, Unavailable: each has `.message`) or thrift.transport.TTransport.
    TTransportException when the server cannot be reached or the connection breaks.

    A class rather than @contextlib.contextmanager on purpose: python3-thrift 0.17 makes the
    generated exceptions immutable, and contextlib's __exit__ fails with "can't modify immutable
    instance" when it re-raises one of them.
    """

    def __init__(self, host="127.0.0.1", port=9090, protocol="binary", timeout_s=30.0):
        socket = TSocket.TSocket(host, port)
        socket.setTimeout(timeout_s * 1000.0)
        self._transport = TTransport.TFramedTransport(socket)
        if protocol == "binary":
            proto = TBinaryProtocol.TBinaryProtocolAccelerated(self._transport)
        elif protocol == "compact":
            proto = TCompactProtocol.TCompactProtocolAccelerated(self._transport)
        else:
            raise ValueError(f"protocol must be 'binary' or 'compact', not {protocol!r}")
        self.client = PartnerGraph.Client(proto)

    def __enter__(self):
        self._transport.open()
        return self.client

    def __exit__(self, *exc_info):
        self._transport.close()
        return False
