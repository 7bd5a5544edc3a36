// Internal to pkg/config: the `vgpu` section of our config and the
// `vgpu-configs` map it shares with vgpu-device-manager's layout file.
#ifndef VGPU_PKG_CONFIG_VGPU_YAML_H_
#define VGPU_PKG_CONFIG_VGPU_YAML_H_

#include "pkg/config/config.h"
#include "pkg/config/yaml_fields.h"

namespace vgpu::config::internal {

// The `vgpu-configs` map: layout name -> list of entries.
FieldParser VgpuConfigsField(VgpuLayouts* out, Problems& problems);

// Our `vgpu:` section (configs, configFile, layout, manage,
// nodeFeatureFile); configs and configFile together are a problem.
FieldParser VgpuSectionField(VgpuConfig* out, Problems& problems);

}  // namespace vgpu::config::internal

#endif  // VGPU_PKG_CONFIG_VGPU_YAML_H_
