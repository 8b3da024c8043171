"""Connect to partnergraph-server from Python (Debian's python3-thrift; run with /usr/bin/python3).

The Thrift-generated package `partnergraph_rpc` is not committed: the build generates it from
server/partnergraph.thrift into <build>/clients/python (CMake target pg_python_client), or run

    thrift --gen py -out DIR server/partnergraph.thrift

and put DIR on PYTHONPATH (README.md). This module only adds the transport settings the server
expects: framed transport, binary (default) or compact protocol.
"""

import contextlib

from thrift.protocol import TBinaryProtocol, TCompactProtocol
from thrift.transport import TSocket, TTransport

from partnergraph_rpc import PartnerGraph


@contextlib.contextmanager
def connect(host="127.0.0.1", port=9090, protocol="binary", timeout_s=30.0):
    """Yields a connected PartnerGraph.Client; closes the connection on exit.

    Calls raise the IDL's typed exceptions (partnergraph_rpc.ttypes.NotFound, InvalidArgument,
    PermissionDenied, Unavailable: each has `.message`) or thrift.transport.TTransport.
    TTransportException when the server cannot be reached or the connection breaks.
    """
    socket = TSocket.TSocket(host, port)
    socket.setTimeout(timeout_s * 1000.0)
    transport = TTransport.TFramedTransport(socket)
    if protocol == "binary":
        proto = TBinaryProtocol.TBinaryProtocolAccelerated(transport)
    elif protocol == "compact":
        proto = TCompactProtocol.TCompactProtocolAccelerated(transport)
    else:
        raise ValueError(f"protocol must be 'binary' or 'compact', not {protocol!r}")
    transport.open()
    try:
        yield PartnerGraph.Client(proto)
    finally:
        transport.close()
