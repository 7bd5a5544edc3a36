{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "vgpu-device-plugin.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full object name: fullnameOverride, else "<release>-<name>" (or the release name when it already contains the chart name). */}}
{{- define "vgpu-device-plugin.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* "name-version" for the helm.sh/chart label. */}}
{{- define "vgpu-device-plugin.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels that select the daemon pods; never change them after install (DaemonSet selectors are immutable). */}}
{{- define "vgpu-device-plugin.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vgpu-device-plugin.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "vgpu-device-plugin.labels" -}}
helm.sh/chart: {{ include "vgpu-device-plugin.chart" . }}
{{ include "vgpu-device-plugin.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: vgpu-device-plugin
{{- end }}

{{/* ServiceAccount name. */}}
{{- define "vgpu-device-plugin.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "vgpu-device-plugin.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Image reference; the tag defaults to the chart's appVersion. */}}
{{- define "vgpu-device-plugin.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* ConfigMap holding the daemon config, and the key of the file in it. */}}
{{- define "vgpu-device-plugin.configMapName" -}}
{{- default (printf "%s-config" (include "vgpu-device-plugin.fullname" .)) .Values.config.existingConfigMap }}
{{- end }}
{{- define "vgpu-device-plugin.configMapKey" -}}
{{- if .Values.config.existingConfigMap }}{{ .Values.config.existingConfigMapKey }}{{ else }}config.yaml{{ end }}
{{- end }}

{{/* The daemon config file rendered from values (version v1). */}}
{{- define "vgpu-device-plugin.configFile" -}}
{{- $file := include "vgpu-device-plugin.configRestartPart" . | fromYaml }}
{{- with include "vgpu-device-plugin.vgpuLayoutKeys" . | fromYaml }}
{{- $_ := set $file "vgpu" (merge (deepCopy .) $file.vgpu) }}
{{- end }}
{{- printf "version: v1\n" }}
{{- toYaml $file }}
{{- end }}

{{/* The config without the keys the daemon reads again live (vgpu.layout,
vgpu.configs, vgpu.configFile): its checksum is the pod template's, so a
layout edit reconciles through the ConfigMap instead of restarting pods. */}}
{{- define "vgpu-device-plugin.configRestartPart" -}}
{{- $resources := dict "naming" .Values.resourceNaming.mode }}
{{- if .Values.resourceNaming.rules }}
{{- $_ := set $resources "rules" .Values.resourceNaming.rules }}
{{- end }}
{{- $file := merge (dict "resources" $resources) (deepCopy .Values.config.inline) }}
{{- with .Values.vgpuManagement }}
{{- if .enabled }}
{{- $nff := "" }}
{{- if .nodeFeatureDir }}
{{- $nff = printf "%s/vgpu-device-plugin" (trimSuffix "/" .nodeFeatureDir) }}
{{- end }}
{{- $_ := set $file "vgpu" (dict "manage" true "nodeFeatureFile" $nff) }}
{{- end }}
{{- end }}
{{- toYaml $file }}
{{- end }}

{{/* vgpu.layout, vgpu.configs and vgpu.configFile from vgpuManagement (YAML,
empty when management is off). */}}
{{- define "vgpu-device-plugin.vgpuLayoutKeys" -}}
{{- with .Values.vgpuManagement }}
{{- if .enabled }}
{{- $keys := dict "layout" .layout }}
{{- if .configFile }}
{{- $_ := set $keys "configFile" (include "vgpu-device-plugin.layoutFilePath" $) }}
{{- else }}
{{- $_ := set $keys "configs" .configs }}
{{- end }}
{{- toYaml $keys }}
{{- end }}
{{- end }}
{{- end }}

{{/* ConfigMap holding vgpuManagement.configFile, where the daemon reads it,
and the checks of vgpuManagement a schema cannot express. */}}
{{- define "vgpu-device-plugin.layoutConfigMapName" -}}
{{- printf "%s-vgpu-layouts" (include "vgpu-device-plugin.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- define "vgpu-device-plugin.layoutFileDir" -}}
/etc/vgpu-device-plugin-layouts
{{- end }}
{{- define "vgpu-device-plugin.layoutFilePath" -}}
{{- include "vgpu-device-plugin.layoutFileDir" . }}/config.yaml
{{- end }}
{{- define "vgpu-device-plugin.checkVgpuManagement" -}}
{{- with .Values.vgpuManagement }}
{{- if and .enabled (not $.Values.config.existingConfigMap) }}
{{- if not .layout }}
{{- fail "vgpuManagement.enabled needs vgpuManagement.layout (the layout this release's nodes keep)" }}
{{- end }}
{{- if and .configFile .configs }}
{{- fail "vgpuManagement: give configs or configFile, not both" }}
{{- end }}
{{- if not (or .configFile .configs) }}
{{- fail "vgpuManagement.enabled needs the layouts: vgpuManagement.configs or vgpuManagement.configFile" }}
{{- end }}
{{- if and .configs (not (hasKey .configs .layout)) }}
{{- fail (printf "vgpuManagement.layout %q is not in vgpuManagement.configs" .layout) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
