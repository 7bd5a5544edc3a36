#!/usr/bin/env python3
"""Real-scrape test: Debian's real `prometheus` scrapes a metrics endpoint on
loopback, and the series it stores are checked through its HTTP API.

Modes:
  --sample-server BIN   serves DaemonMetrics filled from the hand-built sample
                        host (test/prometheus/sample_metrics_server.cc).
  --daemon BIN ...      the real daemon on a simulated host, with the kubelet
                        emulator allocating devices (see run_daemon_mode).

Also loads monitoring/alerts.yaml into that Prometheus (every rule must load
and evaluate) and evaluates every query of monitoring/grafana-dashboard.json.
Exits 77 (ctest: skipped) only when prometheus is absent outside CI.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

DEADLINE_S = 90


class Failure(Exception):
    pass


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode()


def wait_for(what, predicate, deadline_s=DEADLINE_S, procs=()):
    end = time.monotonic() + deadline_s
    last = None
    while time.monotonic() < end:
        for p in procs:
            if p.poll() is not None:
                raise Failure(f"{p.args[0]} exited with {p.returncode} "
                              f"while waiting for {what}")
        try:
            last = predicate()
            if last:
                return last
        except (OSError, ValueError, Failure) as e:
            last = e
        time.sleep(0.2)
    raise Failure(f"timed out waiting for {what} (last: {last!r})")


class Prometheus:
    def __init__(self, workdir, target, rules):
        self.port = free_port()
        rules = os.path.abspath(rules)
        self.base = f"http://127.0.0.1:{self.port}"
        config = os.path.join(workdir, "prometheus.yml")
        with open(config, "w") as f:
            f.write(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                f"rule_files:\n  - {json.dumps(rules)}\n"
                "scrape_configs:\n  - job_name: vgpu\n"
                "    static_configs:\n"
                f"      - targets: ['{target}']\n"
                "        labels: {node: sim-node}\n")
        self.log = open(os.path.join(workdir, "prometheus.log"), "w+")
        self.proc = subprocess.Popen(
            ["prometheus", f"--config.file={config}",
             f"--storage.tsdb.path={os.path.join(workdir, 'data')}",
             f"--web.listen-address=127.0.0.1:{self.port}",
             "--log.level=warn"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)

    def query(self, promql):
        url = f"{self.base}/api/v1/query?" + urllib.parse.urlencode(
            {"query": promql})
        try:
            _, body = http_get(url)
        except urllib.error.HTTPError as e:
            raise Failure(f"query {promql!r}: HTTP {e.code}: "
                          f"{e.read().decode()}")
        reply = json.loads(body)
        if reply.get("status") != "success":
            raise Failure(f"query {promql!r}: {reply}")
        return reply["data"]

    def value(self, promql):
        """The single sample's value, or None when the result is empty."""
        result = self.query(promql)["result"]
        if not result:
            return None
        if len(result) != 1:
            raise Failure(f"query {promql!r}: {len(result)} series: {result}")
        return float(result[0]["value"][1])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.seek(0)
        return self.log.read()


def check_values(prom, expected, procs=()):
    """Waits until every query has the expected value; fails naming all
    mismatches."""
    def all_match():
        bad = []
        for promql, want in expected.items():
            got = prom.value(promql)
            if got != want:
                bad.append(f"{promql} = {got}, want {want}")
        if bad:
            raise Failure("; ".join(bad))
        return True
    wait_for("expected series values", all_match, deadline_s=30, procs=procs)
    for promql, want in expected.items():
        print(f"ok: {promql} = {want}")
    return len(expected)


def check_rules_and_dashboard(prom, source_dir):
    def rules_loaded():
        _, body = http_get(f"{prom.base}/api/v1/rules")
        groups = json.loads(body)["data"]["groups"]
        rules = [r for g in groups for r in g["rules"]]
        unhealthy = [r["name"] for r in rules if r.get("health") != "ok"]
        if len(rules) != 6 or unhealthy:
            raise Failure(f"{len(rules)} rules loaded, unhealthy: {unhealthy}")
        return rules
    rules = wait_for("alert rules evaluated", rules_loaded, deadline_s=30)
    print(f"ok: {len(rules)} alert rules loaded and evaluated")
    with open(os.path.join(source_dir, "monitoring",
                           "grafana-dashboard.json")) as f:
        dashboard = json.load(f)
    exprs = [t["expr"] for p in dashboard["panels"]
             for t in p.get("targets", [])]
    for expr in exprs:
        prom.query(expr.replace("$node", ".*")
                   .replace("$__rate_interval", "1m"))
    print(f"ok: {len(exprs)} dashboard queries evaluate")
    return 1 + len(exprs)


def run_sample_mode(args, workdir):
    server = subprocess.Popen([args.sample_server], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    prom = None
    ok = False
    try:
        line = server.stdout.readline().strip()
        if not line.startswith("port="):
            raise Failure(f"sample server said {line!r}")
        port = int(line[len("port="):])
        _, body = http_get(f"http://127.0.0.1:{port}/metrics")
        prom = Prometheus(workdir, f"127.0.0.1:{port}",
                          os.path.join(args.source_dir, "monitoring",
                                       "alerts.yaml"))
        wait_for("a scrape", lambda: prom.value('up{job="vgpu"}') == 1,
                 procs=[prom.proc])
        d = "vgpu_device_plugin_"
        expected = {
            f'{d}build_info{{version="0.1.0-sample",node="sim-node"}}': 1,
            f'{d}devices{{resource="nvidia.com/pgpu",health="healthy"}}': 1,
            f'{d}devices{{resource="nvidia.com/pgpu",health="unhealthy"}}': 1,
            f'{d}devices{{resource="nvidia.com/GRID_A100-4C",'
            f'health="healthy"}}': 2,
            f'{d}allocated_devices{{resource="nvidia.com/pgpu"}}': 1,
            f'{d}allocated_devices{{resource="nvidia.com/GRID_A100-4C"}}': 0,
            f'{d}allocations_total{{resource="nvidia.com/pgpu"}}': 3,
            f'{d}allocation_errors_total{{resource="nvidia.com/pgpu",'
            f'reason="unhealthy_device"}}': 1,
            f'{d}allocate_duration_seconds_count{{resource='
            f'"nvidia.com/pgpu"}}': 4,
            f'{d}vgpu_instances{{parent="0000:3b:00.0",'
            f'type="GRID A100-4C"}}': 2,
            f'{d}vgpu_available_instances{{parent="0000:af:00.0",'
            f'type="GRID A100-4C"}}': 10,
            f'{d}vgpu_framebuffer_bytes{{parent="0000:3b:00.0",'
            f'state="allocated"}}': 8589934592,
            f'{d}vgpu_framebuffer_bytes{{parent="0000:3b:00.0",'
            f'state="total"}}': 42949672960,
            f'{d}health_transitions_total{{resource="nvidia.com/pgpu",'
            f'to="unhealthy"}}': 1,
            f'{d}kubelet_registrations_total{{resource="nvidia.com/pgpu"}}': 1,
            f'{d}discovery_duration_seconds_count': 1,
            f'count({d}devices)': 4,
        }
        checks = check_values(prom, expected, procs=[prom.proc, server])
        checks += check_rules_and_dashboard(prom, args.source_dir)
        ok = True
        return checks
    finally:
        log = prom.stop() if prom else ""
        server.stdin.close()
        server.wait(timeout=30)
        if not ok:
            print("prometheus log:\n" + log)


# The simulated host for the daemon mode: vgpu-simhost's t4-vgpu profile has
# two Tesla T4s on the vGPU manager; 0000:3b:00.0 holds two GRID T4-1Q
# (1 GiB framebuffer, max 16) instances, 0000:d8:00.0 none. With default
# naming both instances form the pool nvidia.com/vgpu.
PROFILE = "t4-vgpu"
RESOURCE = "nvidia.com/vgpu"
GIB = 1 << 30


def wait_for_line(path, needle, procs, what):
    def found():
        with open(path) as f:
            return needle in f.read()
    wait_for(what, found, procs=procs)


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def run_daemon_mode(args, workdir):
    host = os.path.join(workdir, "host")
    plugins = os.path.join(workdir, "plugins")
    podres = os.path.join(workdir, "pod-resources.sock")
    config = os.path.join(workdir, "config.yaml")
    with open(config, "w") as f:
        f.write("version: v1\nrescanPeriod: 1s\n")
    subprocess.run([args.simhost, "--profile", PROFILE, "--out", host],
                   check=True, stdout=subprocess.DEVNULL)
    os.makedirs(plugins)
    kubelet_log = os.path.join(workdir, "kubelet.log")
    daemon_log = os.path.join(workdir, "daemon.log")
    port = free_port()
    procs = []
    prom = None
    ok = False
    try:
        with open(kubelet_log, "w") as out:
            procs.append(subprocess.Popen(
                [args.kubelet_emulator, f"--device-plugin-dir={plugins}",
                 f"--pod-resources-socket={podres}", "--wait-resources=1",
                 f"--allocate=default/vm1:{RESOURCE}=1", "--timeout=60s",
                 "--duration=600s"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT))
        wait_for("kubelet.sock", lambda: os.path.exists(
            os.path.join(plugins, "kubelet.sock")), procs=procs)
        with open(daemon_log, "w") as out:
            procs.append(subprocess.Popen(
                [args.daemon, f"--host-root={host}",
                 f"--device-plugin-dir={plugins}",
                 f"--cdi-dir={os.path.join(workdir, 'cdi')}",
                 f"--config={config}",
                 f"--metrics-address=127.0.0.1:{port}",
                 f"--pod-resources-socket={podres}"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT))
        base = f"http://127.0.0.1:{port}"
        wait_for("/readyz 200", lambda: http_get(base + "/readyz")[0] == 200,
                 procs=procs)
        status, body = http_get(base + "/healthz")
        if (status, body) != (200, "ok\n"):
            raise Failure(f"/healthz answered {status} {body!r}")
        print("ok: daemon /readyz and /healthz answer 200")
        wait_for_line(kubelet_log, "allocated pod default/vm1", procs,
                      "the kubelet emulator's allocation")
        with open(kubelet_log) as f:
            seen = f.read()
        if f"resource {RESOURCE}: 2 devices, 2 healthy" not in seen:
            raise Failure(f"kubelet emulator saw:\n{seen}")
        print(f"ok: kubelet emulator sees {RESOURCE} with 2 healthy devices "
              "and allocated one")

        prom = Prometheus(workdir, f"127.0.0.1:{port}",
                          os.path.join(args.source_dir, "monitoring",
                                       "alerts.yaml"))
        procs.append(prom.proc)
        wait_for("a scrape", lambda: prom.value('up{job="vgpu"}') == 1,
                 procs=procs)
        d = "vgpu_device_plugin_"
        r = f'resource="{RESOURCE}"'
        t4 = 'type="GRID T4-1Q"'
        expected = {
            f'{d}devices{{{r},health="healthy"}}': 2,
            f'{d}devices{{{r},health="unhealthy"}}': 0,
            f'{d}allocated_devices{{{r}}}': 1,
            f'{d}allocations_total{{{r}}}': 1,
            f'sum({d}allocation_errors_total) or vector(0)': 0,
            f'{d}allocate_duration_seconds_count{{{r}}}': 1,
            f'{d}kubelet_registrations_total{{{r}}}': 1,
            f'{d}kubelet_registered{{{r}}}': 1,
            f'{d}vgpu_instances{{parent="0000:3b:00.0",{t4}}}': 2,
            f'{d}vgpu_available_instances{{parent="0000:3b:00.0",{t4}}}': 14,
            f'{d}vgpu_instances{{parent="0000:d8:00.0",{t4}}}': 0,
            f'{d}vgpu_available_instances{{parent="0000:d8:00.0",{t4}}}': 16,
            f'{d}vgpu_framebuffer_bytes{{parent="0000:3b:00.0",'
            f'state="allocated"}}': 2 * GIB,
            f'{d}vgpu_framebuffer_bytes{{parent="0000:3b:00.0",'
            f'state="total"}}': 16 * GIB,
            f'{d}vgpu_framebuffer_bytes{{parent="0000:d8:00.0",'
            f'state="allocated"}}': 0,
            f'{d}vgpu_framebuffer_bytes{{parent="0000:d8:00.0",'
            f'state="total"}}': 16 * GIB,
            f'count({d}build_info{{node="sim-node"}})': 1,
            f'{d}discovery_duration_seconds_count > bool 0': 1,
        }
        checks = 2 + check_values(prom, expected, procs=procs)
        checks += check_rules_and_dashboard(prom, args.source_dir)
        ok = True
        return checks
    finally:
        prom_log = prom.stop() if prom else ""
        codes = [stop(p) for p in reversed(procs)]
        if not ok:
            for name in (kubelet_log, daemon_log):
                if os.path.exists(name):
                    with open(name) as f:
                        print(f"== {os.path.basename(name)}\n{f.read()[-6000:]}")
            print("== prometheus log\n" + prom_log)
        elif any(code != 0 for code in codes[1:]):
            raise Failure("daemon and kubelet emulator exited with "
                          f"{codes[1:]}, want 0 after SIGTERM")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--sample-server")
    parser.add_argument("--daemon")
    parser.add_argument("--simhost")
    parser.add_argument("--kubelet-emulator")
    args = parser.parse_args()
    if shutil.which("prometheus") is None:
        if os.environ.get("CI") == "true":
            print("prometheus is not installed (Debian package prometheus)")
            return 1
        print("SKIPPED: prometheus is not installed")
        return 77
    with tempfile.TemporaryDirectory(prefix="vgpu-scrape-") as workdir:
        try:
            if args.daemon:
                checks = run_daemon_mode(args, workdir)
            else:
                checks = run_sample_mode(args, workdir)
        except Failure as e:
            print(f"FAILED: {e}")
            print("0 passed, 1 failed")
            return 1
    print(f"{checks} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
