#include "pkg/kubelet/registrar.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "deviceplugin/v1beta1/api.grpc.pb.h"
#include "pkg/base/logging.h"
#include "pkg/kubelet/grpc_util.h"

namespace vgpu::kubelet {

absl::Status RegisterOnce(const std::string& kubelet_socket,
                          const Registration& registration,
                          absl::Duration timeout,
                          grpc::ClientContext* context) {
  auto kubelet = v1beta1::Registration::NewStub(
      DialUnix(kubelet_socket, {.fast_reconnect = true}));
  v1beta1::RegisterRequest request;
  request.set_version(kApiVersion);
  request.set_endpoint(registration.endpoint);
  request.set_resource_name(registration.resource_name);
  request.mutable_options()->set_pre_start_required(false);
  request.mutable_options()->set_get_preferred_allocation_available(
      registration.preferred_allocation);
  grpc::ClientContext own_context;
  if (context == nullptr) context = &own_context;
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  v1beta1::Empty response;
  return FromGrpcStatus(kubelet->Register(context, request, &response),
                        absl::StrCat("register ", registration.resource_name,
                                     " with ", kubelet_socket));
}

Registrar::Registrar(RegistrarOptions options, Callback on_registered)
    : options_(std::move(options)), on_registered_(std::move(on_registered)) {}

Registrar::~Registrar() { Stop(); }

void Registrar::Start() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = false;
  }
  if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
}

void Registrar::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    CancelInflightLocked(inflight_resource_);
  }
  if (thread_.joinable()) thread_.join();
  absl::MutexLock lock(&mu_);
  pending_.clear();
}

void Registrar::CancelInflightLocked(const std::string& resource_name) {
  if (inflight_ != nullptr && inflight_resource_ == resource_name) {
    inflight_->TryCancel();
  }
}

void Registrar::Request(const Registration& registration) {
  absl::MutexLock lock(&mu_);
  CancelInflightLocked(registration.resource_name);
  Pending& p = pending_[registration.resource_name];
  p.registration = registration;
  p.due = absl::Now();
  p.backoff = options_.initial_backoff;
  p.generation = next_generation_++;
  p.failures = 0;
  kicked_ = true;
}

void Registrar::Cancel(const std::string& resource_name) {
  absl::MutexLock lock(&mu_);
  CancelInflightLocked(resource_name);
  pending_.erase(resource_name);
}

void Registrar::RetryNow() {
  absl::MutexLock lock(&mu_);
  absl::Time now = absl::Now();
  for (auto& [name, p] : pending_) {
    p.due = now;
    p.backoff = options_.initial_backoff;
  }
  kicked_ = true;
}

void Registrar::Loop() {
  for (;;) {
    while (AttemptOne()) {
    }
    absl::MutexLock lock(&mu_);
    if (stop_) return;
    absl::Time next = absl::InfiniteFuture();
    for (const auto& [name, p] : pending_) next = std::min(next, p.due);
    auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stop_ || kicked_;
    };
    mu_.AwaitWithDeadline(absl::Condition(&wake), next);
    kicked_ = false;
    if (stop_) return;
  }
}

bool ShouldLogRetry(RetryWarning& state, const std::string& error,
                    absl::Time now, absl::Duration interval) {
  if (error == state.last_error && now - state.last_logged < interval) {
    ++state.suppressed;
    return false;
  }
  state.last_error = error;
  state.last_logged = now;
  state.suppressed = 0;
  return true;
}

bool Registrar::AttemptOne() {
  Registration registration;
  uint64_t generation;
  grpc::ClientContext context;
  {
    absl::MutexLock lock(&mu_);
    if (stop_) return false;
    absl::Time now = absl::Now();
    auto it = std::find_if(pending_.begin(), pending_.end(),
                           [&](auto& e) { return e.second.due <= now; });
    if (it == pending_.end()) return false;
    registration = it->second.registration;
    generation = it->second.generation;
    inflight_ = &context;
    inflight_resource_ = registration.resource_name;
  }
  absl::Status status = RegisterOnce(options_.kubelet_socket, registration,
                                     options_.rpc_timeout, &context);
  {
    absl::MutexLock lock(&mu_);
    inflight_ = nullptr;
    inflight_resource_.clear();
    auto it = pending_.find(registration.resource_name);
    if (it == pending_.end() || it->second.generation != generation) {
      return true;  // Replaced or cancelled meanwhile.
    }
    Pending& p = it->second;
    if (!status.ok()) {
      // Never one line per retry: the kubelet may be away for hours.
      const int suppressed = p.warning.suppressed;
      if (ShouldLogRetry(p.warning, std::string(status.message()), absl::Now(),
                         options_.retry_warning_interval)) {
        VGPU_LOG(WARNING)
                .With("resource", registration.resource_name)
                .With("attempt", p.failures + 1)
                .With("not_logged", suppressed)
            << "registration failed, retrying: " << status.message();
      }
      ++p.failures;
      p.due = absl::Now() + p.backoff;
      p.backoff = std::min(p.backoff * 2, options_.max_backoff);
      return true;
    }
    pending_.erase(it);
  }
  VGPU_LOG(INFO)
          .With("resource", registration.resource_name)
          .With("endpoint", registration.endpoint)
      << "registered with kubelet";
  if (on_registered_) on_registered_(registration.resource_name);
  return true;
}

}  // namespace vgpu::kubelet
