// MetricsServer: the daemon's one HTTP listener (CivetWeb), serving
//   /metrics  the registry in the Prometheus text format (0.0.4),
//   /healthz  200 "ok" while the liveness probe is OK, else 503 + reason,
//   /readyz   200 "ok" while the readiness probe is OK, else 503 + reason.
// A scrape reads only the registry; probes run on the server's threads and
// must not block (read a flag, never wait on the daemon loop). Thread-safe;
// the destructor stops the listener and joins its threads, which takes up to
// 2 s (CivetWeb polls its listening sockets in 2 s slices).
#ifndef VGPU_PKG_METRICS_METRICS_SERVER_H_
#define VGPU_PKG_METRICS_METRICS_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

class CivetServer;
class CivetHandler;

namespace prometheus {
class Registry;
}  // namespace prometheus

namespace vgpu::metrics {

class MetricsServer {
 public:
  // OK -> 200 "ok"; any other status -> 503 with the status message.
  using Probe = std::function<absl::Status()>;

  // Listens on `address`: "host:port" or ":port" (all interfaces);
  // port 0 picks a free port (see port()), which is logged.
  // InvalidArgument for a malformed address or a null registry;
  // Unavailable naming the address when it cannot listen. Empty probes are
  // always OK.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& address,
      std::shared_ptr<prometheus::Registry> registry, Probe readiness,
      Probe liveness);

  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The first port actually listened on.
  int port() const { return ports_.empty() ? 0 : ports_.front(); }
  const std::vector<int>& ports() const { return ports_; }

  // Civetweb's "listening_ports" form of a "host:port"/":port" address.
  // InvalidArgument naming the address when malformed.
  static absl::StatusOr<std::string> ToListeningPorts(
      const std::string& address);

 private:
  struct PassKey {};

 public:
  explicit MetricsServer(PassKey);  // Use Start.

 private:
  // Immutable after Start. The handlers outlive server_ (declared first).
  std::vector<std::unique_ptr<CivetHandler>> handlers_;
  std::unique_ptr<CivetServer> server_;
  std::vector<int> ports_;
};

}  // namespace vgpu::metrics

#endif  // VGPU_PKG_METRICS_METRICS_SERVER_H_
