#include "pkg/metrics/metrics_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <sstream>
#include <utility>
#include <vector>

#include "CivetServer.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "civetweb.h"
#include "pkg/base/logging.h"
#include "pkg/metrics/process_metrics.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace vgpu::metrics {
namespace {

const char* ReasonPhrase(int code) {
  switch (code) {
    case 200:
      return "OK";
    case 503:
      return "Service Unavailable";
    default:
      return "Internal Server Error";
  }
}

void Respond(mg_connection* conn, int code, const char* content_type,
             const std::string& body) {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
            code, ReasonPhrase(code), content_type, body.size());
  mg_write(conn, body.data(), body.size());
}

class MetricsHandler : public CivetHandler {
 public:
  explicit MetricsHandler(std::shared_ptr<prometheus::Registry> registry)
      : registry_(std::move(registry)) {}

  bool handleGet(CivetServer* /*server*/, mg_connection* conn) override {
    // Exceptions must not unwind into CivetWeb's C threads.
    try {
      std::ostringstream out;
      std::vector<prometheus::MetricFamily> families = registry_->Collect();
      for (prometheus::MetricFamily& family : CollectProcessMetrics()) {
        families.push_back(std::move(family));
      }
      prometheus::TextSerializer().Serialize(out, families);
      Respond(conn, 200, "text/plain; version=0.0.4; charset=utf-8", out.str());
    } catch (const std::exception& e) {
      Respond(conn, 500, "text/plain; charset=utf-8",
              absl::StrCat("collect metrics: ", e.what(), "\n"));
    }
    return true;
  }

 private:
  const std::shared_ptr<prometheus::Registry> registry_;
};

class ProbeHandler : public CivetHandler {
 public:
  explicit ProbeHandler(MetricsServer::Probe probe)
      : probe_(std::move(probe)) {}

  bool handleGet(CivetServer* /*server*/, mg_connection* conn) override {
    try {
      const absl::Status status = probe_ ? probe_() : absl::OkStatus();
      if (status.ok()) {
        Respond(conn, 200, "text/plain; charset=utf-8", "ok\n");
      } else {
        Respond(conn, 503, "text/plain; charset=utf-8",
                absl::StrCat(status.message(), "\n"));
      }
    } catch (const std::exception& e) {
      Respond(conn, 500, "text/plain; charset=utf-8",
              absl::StrCat("probe: ", e.what(), "\n"));
    }
    return true;
  }

 private:
  const MetricsServer::Probe probe_;
};

}  // namespace

absl::StatusOr<std::string> MetricsServer::ToListeningPorts(
    const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metrics address \"", address, "\": want host:port or :port"));
  }
  const std::string host = address.substr(0, colon);
  const std::string port_text = address.substr(colon + 1);
  int port = 0;
  if (port_text.empty() || !absl::SimpleAtoi(port_text, &port) || port < 0 ||
      port > 65535 ||
      port_text.find_first_not_of("0123456789") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics address \"", address, "\": port \"", port_text,
                     "\" is not a number in 0..65535"));
  }
  if (host.empty()) return port_text;
  return address;
}

namespace {

// Whether binding CivetWeb's listening_ports value ("PORT" or
// "IPV4:PORT") fails with EADDRINUSE, as CivetWeb binds (SO_REUSEADDR).
bool IsAddressInUse(const std::string& ports) {
  const size_t colon = ports.rfind(':');
  int port = 0;
  if (!absl::SimpleAtoi(
          colon == std::string::npos ? ports : ports.substr(colon + 1),
          &port)) {
    return false;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  if (colon != std::string::npos &&
      ::inet_pton(AF_INET, ports.substr(0, colon).c_str(), &addr.sin_addr) !=
          1) {
    return false;
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const bool in_use =
      ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0 &&
      errno == EADDRINUSE;
  ::close(fd);
  return in_use;
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& address, std::shared_ptr<prometheus::Registry> registry,
    Probe readiness, Probe liveness) {
  if (registry == nullptr) {
    return absl::InvalidArgumentError("metrics server: null registry");
  }
  absl::StatusOr<std::string> ports = ToListeningPorts(address);
  if (!ports.ok()) return ports.status();

  auto server = std::make_unique<MetricsServer>(PassKey{});
  server->handlers_.push_back(
      std::make_unique<MetricsHandler>(std::move(registry)));
  server->handlers_.push_back(
      std::make_unique<ProbeHandler>(std::move(liveness)));
  server->handlers_.push_back(
      std::make_unique<ProbeHandler>(std::move(readiness)));
  // CivetWeb reports a failed bind by throwing CivetException.
  try {
    // Probes and scrapes are tiny and rare (one scrape and two probes every
    // 10 s or so): two workers serve them; a bounded request timeout keeps
    // one slow client from holding the worker a liveness probe needs.
    server->server_ = std::make_unique<CivetServer>(
        std::vector<std::string>{"listening_ports", *ports, "num_threads", "2",
                                 "request_timeout_ms", "10000"});
    server->server_->addHandler("/metrics", server->handlers_[0].get());
    server->server_->addHandler("/healthz", server->handlers_[1].get());
    server->server_->addHandler("/readyz", server->handlers_[2].get());
    server->ports_ = server->server_->getListeningPorts();
  } catch (const std::exception& e) {
    // CivetWeb says only "null context when constructing CivetServer".
    if (IsAddressInUse(*ports)) {
      return absl::UnavailableError(absl::StrCat("metrics server on ", address,
                                                 ": address already in use"));
    }
    return absl::UnavailableError(
        absl::StrCat("metrics server on ", address, ": ", e.what()));
  }
  VGPU_LOG(INFO)
          .With("address", address)
          .With("ports", absl::StrJoin(server->ports_, ","))
      << "serving /metrics, /healthz and /readyz";
  return server;
}

MetricsServer::MetricsServer(PassKey) {}

MetricsServer::~MetricsServer() {
  if (server_ != nullptr) server_->close();
}

}  // namespace vgpu::metrics
