#include "test/testing/fake_kubelet.h"

#include <grpcpp/grpcpp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <set>
#include <system_error>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "deviceplugin/v1beta1/api.grpc.pb.h"
#include "pkg/kubelet/grpc_util.h"
#include "podresources/v1/api.grpc.pb.h"

namespace vgpu::testing {
namespace {

bool IsQualifiedPart(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  auto alnum = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c));
  };
  if (!alnum(s.front()) || !alnum(s.back())) return false;
  for (char c : s) {
    if (!alnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

bool IsDnsSubdomain(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  for (const auto& label : absl::StrSplit(s, '.')) {
    std::string l(label);
    if (l.empty() || l.size() > 63) return false;
    for (char c : l) {
      if (!(std::islower(static_cast<unsigned char>(c)) ||
            std::isdigit(static_cast<unsigned char>(c)) || c == '-')) {
        return false;
      }
    }
    if (l.front() == '-' || l.back() == '-') return false;
  }
  return true;
}

}  // namespace

absl::Status CheckExtendedResourceName(const std::string& name) {
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(
        absl::StrCat("resource name \"", name, "\" is invalid: ", why));
  };
  size_t slash = name.find('/');
  if (slash == std::string::npos) return bad("no domain prefix");
  std::string domain = name.substr(0, slash);
  if (domain == "kubernetes.io" || absl::EndsWith(domain, ".kubernetes.io")) {
    return bad("the kubernetes.io domain is reserved");
  }
  if (absl::StartsWith(name, "requests.")) return bad("starts with requests.");
  std::string qualified = "requests." + name;
  size_t qslash = qualified.find('/');
  if (qualified.find('/', qslash + 1) != std::string::npos) {
    return bad("more than one '/'");
  }
  if (!IsDnsSubdomain(qualified.substr(0, qslash))) {
    return bad("domain is not a DNS subdomain");
  }
  if (!IsQualifiedPart(qualified.substr(qslash + 1))) {
    return bad("name must be 1-63 alphanumerics, '-', '_' or '.'");
  }
  return absl::OkStatus();
}

int ResourceState::HealthyCount() const {
  int n = 0;
  for (const auto& d : devices) n += d.health() == "Healthy" ? 1 : 0;
  return n;
}

const v1beta1::Device* ResourceState::Find(const std::string& id) const {
  for (const auto& d : devices) {
    if (d.id() == id) return &d;
  }
  return nullptr;
}

struct FakeKubelet::Stream {
  grpc::ClientContext context;
  std::unique_ptr<v1beta1::DevicePlugin::Stub> stub;
  std::thread thread;
};

class FakeKubelet::RegistrationService final
    : public v1beta1::Registration::Service {
 public:
  explicit RegistrationService(FakeKubelet& kubelet) : kubelet_(kubelet) {}
  grpc::Status Register(grpc::ServerContext*,
                        const v1beta1::RegisterRequest* request,
                        v1beta1::Empty*) override {
    return kubelet::ToGrpcStatus(kubelet_.HandleRegister(*request));
  }

 private:
  FakeKubelet& kubelet_;
};

FakeKubelet::FakeKubelet(FakeKubeletOptions options)
    : options_(std::move(options)),
      registration_(std::make_unique<RegistrationService>(*this)),
      pod_resources_(NewPodResourcesService(*this)) {}

FakeKubelet::~FakeKubelet() { Stop(); }

absl::Status FakeKubelet::Start() {
  absl::MutexLock lock(&server_mu_);
  if (server_ != nullptr) return absl::OkStatus();
  std::string socket = options_.plugin_dir + "/kubelet.sock";
  ::unlink(socket.c_str());
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + socket, grpc::InsecureServerCredentials());
  builder.RegisterService(registration_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr) {
    return absl::UnavailableError("fake kubelet cannot listen on " + socket);
  }
  if (!options_.pod_resources_socket.empty() && pod_server_ == nullptr) {
    ::unlink(options_.pod_resources_socket.c_str());
    grpc::ServerBuilder pod_builder;
    pod_builder.AddListeningPort("unix:" + options_.pod_resources_socket,
                                 grpc::InsecureServerCredentials());
    pod_builder.RegisterService(pod_resources_.get());
    pod_server_ = pod_builder.BuildAndStart();
    if (pod_server_ == nullptr) {
      return absl::UnavailableError("fake kubelet cannot listen on " +
                                    options_.pod_resources_socket);
    }
  }
  return absl::OkStatus();
}

void FakeKubelet::Stop() {
  {
    absl::MutexLock lock(&mu_);
    for (grpc::ClientContext* context : dialing_) context->TryCancel();
  }
  {
    absl::MutexLock lock(&server_mu_);
    if (server_ != nullptr) {
      server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
      server_->Wait();
      server_.reset();
      ::unlink((options_.plugin_dir + "/kubelet.sock").c_str());
    }
    if (pod_server_ != nullptr) {
      pod_server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
      pod_server_->Wait();
      pod_server_.reset();
      ::unlink(options_.pod_resources_socket.c_str());
    }
  }
  CloseStreams();
}

void FakeKubelet::StopAndCleanup() {
  Stop();
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator(options_.plugin_dir, ec)) {
    struct stat st;
    if (::lstat(entry.path().c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
      ::unlink(entry.path().c_str());
    }
  }
  absl::MutexLock lock(&mu_);
  state_.clear();
}

absl::Status FakeKubelet::Restart() {
  StopAndCleanup();
  return Start();
}

void FakeKubelet::CloseStreams() {
  std::vector<std::unique_ptr<Stream>> closing;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [resource, stream] : streams_)
      closing.push_back(std::move(stream));
    streams_.clear();
    for (auto& stream : retired_) closing.push_back(std::move(stream));
    retired_.clear();
    for (auto& [resource, rs] : state_) rs.streaming = false;
  }
  for (auto& stream : closing) {
    stream->context.TryCancel();
    if (stream->thread.joinable()) stream->thread.join();
  }
}

absl::Status FakeKubelet::HandleRegister(
    const v1beta1::RegisterRequest& request) {
  absl::Status status;
  if (request.version() != "v1beta1") {
    status = absl::InvalidArgumentError(
        absl::StrCat("unsupported device plugin API version \"",
                     request.version(), "\"; supported: v1beta1"));
  } else {
    status = CheckExtendedResourceName(request.resource_name());
  }
  if (!status.ok()) {
    absl::MutexLock lock(&mu_);
    rejections_.push_back(std::string(status.message()));
    return status;
  }
  auto stream = std::make_unique<Stream>();
  stream->stub = v1beta1::DevicePlugin::NewStub(
      kubelet::DialUnix(options_.plugin_dir + "/" + request.endpoint()));
  // Like the kubelet: dial back and ask for the options inside Register.
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + options_.dial_timeout));
  context.set_wait_for_ready(true);
  {
    absl::MutexLock lock(&mu_);
    dialing_.insert(&context);
  }
  v1beta1::DevicePluginOptions plugin_options;
  status = kubelet::FromGrpcStatus(
      stream->stub->GetDevicePluginOptions(&context, v1beta1::Empty(),
                                           &plugin_options),
      "GetDevicePluginOptions of " + request.endpoint());
  {
    absl::MutexLock lock(&mu_);
    dialing_.erase(&context);
  }
  if (!status.ok()) {
    absl::MutexLock lock(&mu_);
    rejections_.push_back(std::string(status.message()));
    return status;
  }
  Stream* raw = stream.get();
  std::unique_ptr<Stream> old;
  {
    absl::MutexLock lock(&mu_);
    auto it = streams_.find(request.resource_name());
    if (it != streams_.end()) old = std::move(it->second);
    streams_[request.resource_name()] = std::move(stream);
    ResourceState& rs = state_[request.resource_name()];
    rs.endpoint = request.endpoint();
    rs.options = plugin_options;
    rs.registrations++;
    rs.streaming = true;
    rs.registered_at = absl::Now();
    raw->thread = std::thread(
        [this, raw, name = request.resource_name()] { ReadStream(name, raw); });
  }
  if (old != nullptr) {
    old->context.TryCancel();
    if (old->thread.joinable()) old->thread.join();
  }
  return absl::OkStatus();
}

void FakeKubelet::ReadStream(const std::string& resource, Stream* stream) {
  auto reader = stream->stub->ListAndWatch(&stream->context, v1beta1::Empty());
  v1beta1::ListAndWatchResponse message;
  while (reader->Read(&message)) {
    absl::MutexLock lock(&mu_);
    auto it = streams_.find(resource);
    if (it == streams_.end() || it->second.get() != stream) break;
    ResourceState& rs = state_[resource];
    rs.devices.assign(message.devices().begin(), message.devices().end());
    rs.message_bytes = message.ByteSizeLong();
    rs.updates++;
    rs.updated_at = absl::Now();
  }
  grpc::Status ignored = reader->Finish();
  (void)ignored;
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(resource);
  if (it != streams_.end() && it->second.get() == stream) {
    state_[resource].streaming = false;
  }
}

KubeletState FakeKubelet::State() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

bool FakeKubelet::WaitFor(
    const std::function<bool(const KubeletState&)>& condition,
    absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto holds = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return condition(state_);
  };
  return mu_.AwaitWithTimeout(absl::Condition(&holds), timeout);
}

bool FakeKubelet::WaitForDevices(const std::string& resource, int count,
                                 absl::Duration timeout) const {
  return WaitFor(
      [&](const KubeletState& state) {
        auto it = state.find(resource);
        return it != state.end() && it->second.streaming &&
               it->second.updates > 0 && it->second.Count() == count;
      },
      timeout);
}

std::vector<std::string> FakeKubelet::Rejections() const {
  absl::MutexLock lock(&mu_);
  return rejections_;
}

bool FakeKubelet::DeletePod(const std::string& pod_namespace,
                            const std::string& name) {
  absl::MutexLock lock(&mu_);
  for (auto it = pods_.begin(); it != pods_.end(); ++it) {
    if (it->namespace_name == pod_namespace && it->name == name) {
      pods_.erase(it);
      return true;
    }
  }
  return false;
}

std::vector<PodAllocation> FakeKubelet::Pods() const {
  absl::MutexLock lock(&mu_);
  return pods_;
}

std::string FakeKubelet::EndpointOf(const std::string& resource) const {
  absl::MutexLock lock(&mu_);
  auto it = state_.find(resource);
  return it == state_.end() ? "" : it->second.endpoint;
}

}  // namespace vgpu::testing
