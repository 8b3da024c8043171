// A program that links pg_rpc_client and nothing of the engine (no pg_engine, FAISS or BLAS):
// built, it shows the client's dependencies stay small; run, that a refused connection is the
// IOError RpcClient documents.
#include <cstdio>
#include <string>

#include "rpc_client.hpp"

int main() {
  partnergraph::client::RpcClientOptions options;
  options.port = 1;  // reserved (tcpmux): nothing listens on a test machine
  options.connect_timeout_ms = 2000;
  auto client = partnergraph::client::RpcClient::Connect(options);
  if (client.ok() || client.status().code() != partnergraph::Status::Code::kIOError ||
      client.status().message().find("127.0.0.1:1") == std::string::npos) {
    std::fprintf(stderr, "expected IOError naming 127.0.0.1:1, got %s\n",
                 client.ok() ? "a connection" : client.status().ToString().c_str());
    return 1;
  }
  return 0;
}
