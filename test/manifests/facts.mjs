// facts.mjs [--vgpu-management [--layout-file CONFIGMAP]] [--doctor soft|strict|off]
//           [--expect PATH=JSON]... FILE
//
// Asserts what the schema cannot: the security and wiring facts of the
// rendered daemon. FILE holds the chart's (or deploy/'s) objects, "-" for
// stdin. Without --vgpu-management the daemon must have least privilege: not
// privileged, no privilege escalation, all capabilities dropped, read-only
// root filesystem, host /sys and /dev mounted read-only, no state dir, no
// host /proc. With --vgpu-management (vgpuManagement on) it must still not
// be privileged nor escalate, drop all capabilities but add exactly
// DAC_READ_SEARCH and SYS_PTRACE (other processes' /proc/<pid>/fd), mount
// host /sys writable, host /proc read-only at /host/proc (no hostPID), the
// state dir writable (and name it in --state-dir), the NFD features dir
// writable at /host<dir> when the config names vgpu.nodeFeatureFile, and
// the config must say vgpu.manage: true and name a layout. --layout-file
// CONFIGMAP: vgpu.configFile is the config.yaml of that rendered ConfigMap
// (a vgpu-device-manager file), mounted read-only where the config says.
// Either way: runs as root, NODE_NAME from spec.nodeName, probes on
// /healthz and /readyz at the metrics port, only the expected host paths,
// and a config volume naming a ConfigMap that is rendered too (unless
// --external-config NAME says it is not part of the release).
//
// --doctor (default soft): the init container "doctor" runs `vgpuctl
// doctor` with least privilege and every mount it reads (read-only): host
// /sys, /dev and /proc/cmdline under /host, the daemon's kubelet dirs and
// CDI dir at /host<hostPath>, /etc/cdi and the Kata configuration dir, and
// flags naming those paths. soft: a FAIL must not stop the pod (the script
// exits 0); strict: it must (exits with vgpuctl's code); off: no doctor.
//
// --expect Kind.dotted.path=JSON compares one value of the single object of
// that Kind, e.g. --expect 'DaemonSet.spec.template.spec.nodeSelector={"a":"b"}'.
// The pseudo-kind "config" is the parsed config.yaml of the mounted
// ConfigMap: --expect 'config.resources.naming="per-model"'.
import { parse } from "yaml";

import { describe, loadObjects } from "./load.mjs";

const HOST_PATHS = new Set([
  "/var/lib/kubelet/device-plugins", "/var/lib/kubelet/pod-resources", "/var/run/cdi",
  "/sys", "/dev", "/var/lib/vgpu-device-plugin", "/proc",
  "/etc/kubernetes/node-feature-discovery/features.d",
]);

// Host paths only the doctor init container mounts (chart defaults).
const DOCTOR_HOST_PATHS = ["/proc/cmdline", "/etc/cdi", "/opt/kata/share/defaults/kata-containers"];

function parseArgs(argv) {
  const opts = { manage: false, layoutFile: null, expects: [], externalConfig: null, hostPaths: HOST_PATHS, file: null,
                 doctor: "soft" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--vgpu-management") opts.manage = true;
    else if (a === "--layout-file") opts.layoutFile = argv[++i];
    else if (a === "--expect") opts.expects.push(argv[++i]);
    else if (a === "--external-config") opts.externalConfig = argv[++i];
    else if (a === "--host-paths") opts.hostPaths = new Set(argv[++i].split(","));
    else if (a === "--doctor") opts.doctor = argv[++i];
    else if (opts.file === null) opts.file = a;
    else throw new Error(`unexpected argument ${a}`);
  }
  if (opts.file === null) throw new Error("usage: facts.mjs [--vgpu-management] [--expect P=JSON] FILE");
  if (!["soft", "strict", "off"].includes(opts.doctor)) throw new Error(`--doctor ${opts.doctor}`);
  if (opts.doctor !== "off") opts.hostPaths = new Set([...opts.hostPaths, ...DOCTOR_HOST_PATHS]);
  return opts;
}

// Deep equality; object key order does not matter, array order does.
function canonical(v) {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]));
  }
  return v;
}

function equal(a, b) {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function onlyOne(objects, kind) {
  const found = objects.filter((o) => o.kind === kind);
  if (found.length !== 1) throw new Error(`want exactly one ${kind}, found ${found.length}`);
  return found[0];
}

function get(obj, dotted) {
  let v = obj;
  for (const part of dotted.split(".")) v = v?.[/^\d+$/.test(part) ? Number(part) : part];
  return v;
}

function checkDaemon(objects, opts, fail) {
  const ds = onlyOne(objects, "DaemonSet");
  const pod = ds.spec.template.spec;
  const c = pod.containers[0];
  const sc = c.securityContext ?? {};
  const mounts = Object.fromEntries((c.volumeMounts ?? []).map((m) => [m.mountPath, m]));
  const volumes = Object.fromEntries((pod.volumes ?? []).map((v) => [v.name, v]));
  const mountOf = (path) => mounts[path] ?? fail(`no volumeMount at ${path}`) ?? {};

  if (pod.containers.length !== 1) fail(`want 1 container, got ${pod.containers.length}`);
  if (sc.runAsUser !== 0) fail(`runAsUser is ${sc.runAsUser}, want 0 (sockets are root-only)`);
  if (sc.readOnlyRootFilesystem !== true) fail("readOnlyRootFilesystem is not true");
  if (sc.privileged) fail(opts.manage ? "vgpuManagement needs no privileged container"
                                     : "container is privileged without vgpuManagement");
  if (sc.allowPrivilegeEscalation !== false) fail("allowPrivilegeEscalation is not false");
  if (!equal(sc.capabilities?.drop, ["ALL"])) fail("capabilities.drop is not [ALL]");
  if (opts.manage) {
    checkManagement(objects, opts, { pod, c, mounts, volumes, mountOf }, fail);
  } else {
    if (sc.capabilities?.add?.length) fail(`capabilities added: ${sc.capabilities.add}`);
    if (mountOf("/host/sys").readOnly !== true) fail("/host/sys is not mounted read-only");
    // The state dir and other processes' fds are only the layout manager's.
    if (mounts["/var/lib/vgpu-device-plugin"]) fail("state dir mounted without vgpuManagement");
    if (mounts["/host/proc"]) fail("host /proc mounted without vgpuManagement");
  }
  if (mountOf("/host/dev").readOnly !== true) fail("/host/dev is not read-only");
  // Where the daemon writes: its sockets and the CDI specs (with
  // vgpuManagement also what checkManagement requires). Every other mount is
  // read-only.
  if (!opts.manage) {
    for (const m of Object.values(mounts)) {
      if (m.readOnly !== true && !["device-plugins", "cdi"].includes(m.name)) {
        fail(`${m.mountPath} is mounted writable without a use`);
      }
    }
  }
  for (const v of Object.values(volumes)) {
    if (v.hostPath && !opts.hostPaths.has(v.hostPath.path)) fail(`unexpected hostPath ${v.hostPath.path}`);
  }
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) fail("host namespaces must not be shared");
  if (pod.priorityClassName !== "system-node-critical") fail(`priorityClassName ${pod.priorityClassName}`);
  if (pod.automountServiceAccountToken !== false) fail("service account token is mounted");

  const env = (c.env ?? []).find((e) => e.name === "NODE_NAME");
  if (env?.valueFrom?.fieldRef?.fieldPath !== "spec.nodeName") fail("NODE_NAME is not from spec.nodeName");
  const args = c.args ?? [];
  if (!args.includes("--host-root=/host")) fail("--host-root=/host missing");
  const port = (c.ports ?? []).find((p) => p.name === "metrics");
  if (!port) fail("no container port named metrics");
  const metricsArg = args.find((a) => a.startsWith("--metrics-address="));
  if (port && metricsArg !== `--metrics-address=:${port.containerPort}`) {
    fail(`${metricsArg} does not match containerPort ${port?.containerPort}`);
  }
  if (c.livenessProbe?.httpGet?.path !== "/healthz" || c.livenessProbe?.httpGet?.port !== "metrics") {
    fail("liveness probe is not GET /healthz on metrics");
  }
  if (c.readinessProbe?.httpGet?.path !== "/readyz" || c.readinessProbe?.httpGet?.port !== "metrics") {
    fail("readiness probe is not GET /readyz on metrics");
  }

  const cm = volumes.config?.configMap?.name;
  if (!cm) fail("no config volume from a ConfigMap");
  const rendered = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === cm);
  if (opts.externalConfig !== null) {
    if (cm !== opts.externalConfig) fail(`config volume uses ${cm}, want ${opts.externalConfig}`);
    if (rendered) fail(`ConfigMap ${cm} rendered although it is external`);
  } else if (!rendered) {
    fail(`config volume names ConfigMap ${cm}, which is not rendered`);
  } else if (!/^version: v1$/m.test(rendered.data?.["config.yaml"] ?? "")) {
    fail(`ConfigMap ${cm} config.yaml lacks "version: v1"`);
  }
}

// vgpuManagement: the privileges in values.yaml, each mount where the
// daemon reads or writes it, and a config that turns the reconcile on.
function checkManagement(objects, opts, { pod, c, mounts, volumes, mountOf }, fail) {
  const sc = c.securityContext ?? {};
  const hostOf = (m) => volumes[m.name]?.hostPath?.path;
  const added = [...(sc.capabilities?.add ?? [])].sort();
  if (!equal(added, ["DAC_READ_SEARCH", "SYS_PTRACE"])) {
    fail(`capabilities.add is ${JSON.stringify(added)}, want ["DAC_READ_SEARCH","SYS_PTRACE"]`);
  }
  if (mountOf("/host/sys").readOnly) fail("/host/sys must be writable for vgpuManagement");
  const proc = mountOf("/host/proc");
  if (proc.readOnly !== true || hostOf(proc) !== "/proc") fail("/host/proc is not the host's /proc, read-only");
  const args = c.args ?? [];
  const stateArg = args.find((a) => a.startsWith("--state-dir="));
  const stateDir = stateArg?.slice("--state-dir=".length);
  const state = stateDir ? mountOf(stateDir) : fail("--state-dir missing");
  if (state && (state.readOnly || !hostOf(state))) fail(`state dir ${stateDir} is not a writable hostPath`);
  const cfg = daemonConfigOrNull(objects);
  if (!cfg) return;
  if (cfg.vgpu?.manage !== true) fail("config lacks vgpu.manage: true");
  if (!cfg.vgpu?.layout) fail("config names no vgpu.layout");
  const nff = cfg.vgpu?.nodeFeatureFile;
  if (nff) {
    const m = mountOf(`/host${nff.slice(0, nff.lastIndexOf("/"))}`);
    if (m.readOnly || !hostOf(m)) fail(`NFD dir of ${nff} is not a writable hostPath`);
  }
  if (opts.layoutFile === null) {
    if (cfg.vgpu?.configFile) fail(`config names vgpu.configFile ${cfg.vgpu.configFile} (want inline configs)`);
    return;
  }
  const file = cfg.vgpu?.configFile ?? "";
  const dir = file.slice(0, file.lastIndexOf("/"));
  const m = mounts[dir];
  if (!m) return fail(`vgpu.configFile ${file}: no volumeMount at ${dir}`);
  if (m.readOnly !== true) fail(`${dir} is not read-only`);
  if (volumes[m.name]?.configMap?.name !== opts.layoutFile) fail(`${dir} is not ConfigMap ${opts.layoutFile}`);
  const cm = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === opts.layoutFile);
  const key = file.slice(dir.length + 1);
  const text = cm?.data?.[key];
  if (!text) return fail(`ConfigMap ${opts.layoutFile} has no ${key}`);
  const layouts = parse(text, { uniqueKeys: true });
  if (!layouts?.["vgpu-configs"]?.[cfg.vgpu.layout]) fail(`${key} has no vgpu-configs.${cfg.vgpu.layout}`);
}

function daemonConfigOrNull(objects) {
  try {
    return daemonConfig(objects);
  } catch {
    return null;  // An external ConfigMap: the operator's config decides.
  }
}

function checkDoctor(objects, opts, fail) {
  const pod = onlyOne(objects, "DaemonSet").spec.template.spec;
  const inits = pod.initContainers ?? [];
  const d = inits.find((c) => c.name === "doctor");
  if (opts.doctor === "off") {
    if (d) fail("doctor init container rendered although disabled");
    return;
  }
  if (!d) return fail("no init container named doctor");
  const argv = [...(d.command ?? []), ...(d.args ?? [])];
  const script = argv.join(" ");
  if (!script.includes("/usr/bin/vgpuctl doctor")) fail("the doctor init container does not run vgpuctl doctor");
  const exitsZero = /exit 0; }$/.test(script.split(" vgpuctl-doctor ")[0] ?? "");
  if (opts.doctor === "soft" && !exitsZero) fail("doctor.failOnError=false but a FAIL stops the pod");
  if (opts.doctor === "strict" && exitsZero) fail("doctor.failOnError=true but a FAIL does not stop the pod");
  const sc = d.securityContext ?? {};
  if (sc.runAsUser !== 0) fail("doctor: runAsUser is not 0 (the PodResources socket is root-only)");
  if (sc.privileged || sc.allowPrivilegeEscalation !== false) fail("doctor: privileged or escalation allowed");
  if (!equal(sc.capabilities?.drop, ["ALL"])) fail("doctor: capabilities.drop is not [ALL]");
  if (sc.readOnlyRootFilesystem !== true) fail("doctor: readOnlyRootFilesystem is not true");

  const volumes = Object.fromEntries((pod.volumes ?? []).map((v) => [v.name, v]));
  const mounts = Object.fromEntries((d.volumeMounts ?? []).map((m) => [m.mountPath, m]));
  const hostOf = (name) => volumes[name]?.hostPath?.path;
  const args = d.args ?? [];
  const need = (mountPath, hostPath) => {
    const m = mounts[mountPath];
    if (!m) return fail(`doctor: no mount at ${mountPath}`);
    if (m.readOnly !== true) fail(`doctor: ${mountPath} is not read-only`);
    if (hostPath && hostOf(m.name) !== hostPath) fail(`doctor: ${mountPath} is ${hostOf(m.name)}, want ${hostPath}`);
  };
  const flag = (f) => { if (!args.includes(f)) fail(`doctor: ${f} missing`); };
  need("/host/sys", hostOf("host-sys"));
  need("/host/dev", hostOf("host-dev"));
  need("/host/proc/cmdline", "/proc/cmdline");
  flag("--host-root=/host");
  for (const name of ["pod-resources", "device-plugins", "cdi"]) {
    const hp = hostOf(name);
    if (!hp) { fail(`doctor: no ${name} volume`); continue; }
    need(`/host${hp}`, hp);
  }
  flag(`--pod-resources-socket=/host${hostOf("pod-resources")}/kubelet.sock`);
  flag(`--device-plugin-dir=/host${hostOf("device-plugins")}`);
  flag(`--cdi-dir=/host${hostOf("cdi")}`);
  const cdiDirs = args.filter((a) => a.startsWith("--cdi-dir=")).map((a) => a.slice("--cdi-dir=".length));
  for (const dir of cdiDirs) need(dir, dir.slice("/host".length));
  if (cdiDirs.length < 2) fail("doctor: want both CDI dirs Kata reads (/etc/cdi and the daemon's)");
  for (const a of args.filter((x) => x.startsWith("--kata-config="))) {
    const file = a.slice("--kata-config=".length);
    const dir = file.slice(0, file.lastIndexOf("/"));
    need(dir, dir.slice("/host".length));
  }
}

// The daemon config file the DaemonSet mounts, parsed ("config." paths).
function daemonConfig(objects) {
  const ds = onlyOne(objects, "DaemonSet");
  const volume = ds.spec.template.spec.volumes.find((v) => v.name === "config");
  const cm = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === volume?.configMap?.name);
  if (!cm) throw new Error("the mounted config ConfigMap is not rendered");
  return parse(cm.data["config.yaml"], { uniqueKeys: true });
}

function checkExpect(objects, spec, fail) {
  const eq = spec.indexOf("=");
  const [kind, ...rest] = spec.slice(0, eq).split(".");
  const want = JSON.parse(spec.slice(eq + 1));
  const root = kind === "config" ? daemonConfig(objects) : onlyOne(objects, kind);
  const got = get(root, rest.join("."));
  if (!equal(got, want)) fail(`${spec.slice(0, eq)} is ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const { objects: loaded, errors } = loadObjects(opts.file);
  const objects = loaded.map((o) => o.value);
  const failures = [...errors];
  const fail = (msg) => { failures.push(msg); };
  try {
    checkDaemon(objects, opts, fail);
    checkDoctor(objects, opts, fail);
    for (const e of opts.expects) checkExpect(objects, e, fail);
  } catch (e) {
    failures.push(e.message);
  }
  for (const f of failures) console.error(`FAIL ${opts.file}: ${f}`);
  console.log(`facts: ${opts.file}: ${objects.map(describe).join(", ")}: ` +
              `${failures.length ? "FAILED" : "ok"}`);
  return failures.length ? 1 : 0;
}

process.exitCode = main();
