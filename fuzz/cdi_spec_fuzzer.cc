// libFuzzer target for the CDI spec reader (ParseCdiSpecFile): it parses
// files other vendors wrote (/etc/cdi/*.json, nvidia-ctk's *.yaml). Each
// input is read as a JSON and as a YAML spec; the reader must return a spec
// or an error, never crash, hang or read out of bounds (ASan + UBSan).
#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pkg/coldplug/cdi_resolve.h"

namespace vgpu::coldplug {
namespace {

void Consume(const absl::StatusOr<CdiSpecFile>& spec) {
  volatile size_t n = 0;
  if (!spec.ok()) {
    n = spec.status().message().size();
    return;
  }
  for (const CdiDevice& device : spec->devices) {
    n = n + device.qualified_name.size() + device.device_nodes.size();
  }
}

}  // namespace
}  // namespace vgpu::coldplug

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  vgpu::coldplug::Consume(
      vgpu::coldplug::ParseCdiSpecFile(text, "/etc/cdi/f.json"));
  vgpu::coldplug::Consume(
      vgpu::coldplug::ParseCdiSpecFile(text, "/etc/cdi/f.yaml"));
  return 0;
}
