{{/*
`vgpuctl doctor` as the init container "doctor" (docs/troubleshooting.md):
before the daemon starts it checks the node and prints one line per check,
so its FAIL lines are in the pod's log (`kubectl logs POD -c doctor`). It
sees the host as the daemon does, under /host, plus what only the doctor
reads: /proc/cmdline, /etc/cdi and the Kata configuration dir. Every mount
is read-only. With doctor.failOnError=false (the default) a FAIL does not
keep the daemon from starting.
*/}}
{{- define "vgpu-device-plugin.doctorContainer" -}}
- name: doctor
  image: {{ include "vgpu-device-plugin.image" . | quote }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  command:
    - /bin/sh
    - -c
    - >-
      /usr/bin/vgpuctl doctor "$@" || { rc=$?;
      echo "vgpuctl doctor: exit $rc ({{ if .Values.doctor.failOnError }}doctor.failOnError=true: the daemon does not start{{ else }}doctor.failOnError=false: the daemon starts anyway{{ end }})";
      exit {{ if .Values.doctor.failOnError }}$rc{{ else }}0{{ end }}; }
    - vgpuctl-doctor
  args:
    - --host-root=/host
    {{- range .Values.doctor.kataConfigs }}
    - --kata-config=/host{{ $.Values.doctor.kataConfigDir }}/{{ . }}
    {{- end }}
    - --cdi-dir=/host{{ .Values.doctor.etcCdiDir }}
    - --cdi-dir=/host{{ .Values.hostPaths.cdiDir }}
    - --pod-resources-socket=/host{{ .Values.hostPaths.podResourcesDir }}/kubelet.sock
    - --device-plugin-dir=/host{{ .Values.hostPaths.devicePluginDir }}
  {{- with .Values.doctor.resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    # Root to connect to the kubelet's root-only PodResources socket;
    # nothing else.
    runAsUser: 0
    runAsGroup: 0
    runAsNonRoot: false
    readOnlyRootFilesystem: true
    privileged: false
    allowPrivilegeEscalation: false
    capabilities:
      drop: ["ALL"]
  volumeMounts:
    - name: host-sys
      mountPath: /host/sys
      readOnly: true
    - name: host-dev
      mountPath: /host/dev
      readOnly: true
    - name: doctor-cmdline
      mountPath: /host/proc/cmdline
      readOnly: true
    - name: pod-resources
      mountPath: /host{{ .Values.hostPaths.podResourcesDir }}
      readOnly: true
    - name: device-plugins
      mountPath: /host{{ .Values.hostPaths.devicePluginDir }}
      readOnly: true
    - name: cdi
      mountPath: /host{{ .Values.hostPaths.cdiDir }}
      readOnly: true
    - name: doctor-etc-cdi
      mountPath: /host{{ .Values.doctor.etcCdiDir }}
      readOnly: true
    - name: doctor-kata-config
      mountPath: /host{{ .Values.doctor.kataConfigDir }}
      readOnly: true
{{- end }}

{{/* The volumes only the doctor mounts. */}}
{{- define "vgpu-device-plugin.doctorVolumes" -}}
- name: doctor-cmdline
  hostPath:
    path: /proc/cmdline
    type: File
- name: doctor-etc-cdi
  hostPath:
    path: {{ .Values.doctor.etcCdiDir }}
    type: DirectoryOrCreate
- name: doctor-kata-config
  hostPath:
    path: {{ .Values.doctor.kataConfigDir }}
    type: DirectoryOrCreate
{{- end }}
