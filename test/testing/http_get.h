// A tiny blocking HTTP/1.0 GET over loopback TCP for the metrics tests.
#ifndef VGPU_TEST_TESTING_HTTP_GET_H_
#define VGPU_TEST_TESTING_HTTP_GET_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace vgpu::testing {

struct HttpResponse {
  int code = 0;
  std::string headers;
  std::string body;
};

// GET http://127.0.0.1:<port><path>; Unavailable on socket errors, Internal
// on a malformed reply. Reads until the server closes (10 s timeout).
inline absl::StatusOr<HttpResponse> HttpGet(int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError("socket");
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::UnavailableError(absl::StrCat("connect to port ", port));
  }
  const std::string request =
      absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return absl::UnavailableError("send");
  }
  std::string reply;
  char buf[4096];
  while (true) {
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n < 0) return absl::UnavailableError("recv");
    if (n == 0) break;
    reply.append(buf, static_cast<size_t>(n));
  }
  const size_t split = reply.find("\r\n\r\n");
  const size_t space = reply.find(' ');
  HttpResponse response;
  if (split == std::string::npos || space == std::string::npos ||
      !absl::SimpleAtoi(reply.substr(space + 1, 3), &response.code)) {
    return absl::InternalError(absl::StrCat("malformed reply: ", reply));
  }
  response.headers = reply.substr(0, split);
  response.body = reply.substr(split + 4);
  return response;
}

}  // namespace vgpu::testing

#endif  // VGPU_TEST_TESTING_HTTP_GET_H_
