"""PACT API load on loopback: `make bench` (or `python benchmarks/service.py [--workers N]`).

Starts `greenal serve --self-signed` (a real process, HTTPS) over a temp SQLite registry holding
FOOTPRINTS published footprints, then runs GetFootprint and ListFootprints (limit=10) with 50
concurrent clients (httpx async, keep-alive), each phase bounded by REQUESTS requests and
SECONDS seconds. Prints requests/s, p50/p99 latency and the server's CPU time per request (which, unlike the
rate, does not depend on what else the machine runs). Issue 14's target: >= 500 GetFootprint
requests/s with p99 < 50 ms on 2 cores. On a shared machine the figures vary with the load.
"""
from __future__ import annotations

import argparse
import asyncio
import copy
import os
import random
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from greenal.registry import db as regdb
from greenal.registry.service import init
from greenal.service import auth, publish

CLIENTS = 50
REQUESTS = 5000
SECONDS = 20.0
FOOTPRINTS = 200
TEMPLATE = {
    "specVersion": "3.0.0", "created": "2025-01-01T00:00:00Z", "status": "Active",
    "validityPeriodStart": "2025-01-01T00:00:00Z", "validityPeriodEnd": "2026-01-01T00:00:00Z",
    "companyName": "Benchmark Aluminium", "companyIds": ["urn:pact:company:cn:uscc:91450000MA5K8XXX1A"],
    "productDescription": "Primary aluminium ingot", "productNameCompany": "Ingot",
    "productClassifications": ["urn:pact:productclassification:cn:7601"],
    "pcf": {"declaredUnitOfMeasurement": "kilogram", "declaredUnitAmount": "1000", "productMassPerDeclaredUnit": "1000",
            "referencePeriodStart": "2024-01-01T00:00:00Z", "referencePeriodEnd": "2025-01-01T00:00:00Z",
            "geographyCountrySubdivision": "CN-GX", "pcfExcludingBiogenicUptake": "16000.000",
            "pcfIncludingBiogenicUptake": "16000.000", "fossilGhgEmissions": "16000.000", "fossilCarbonContent": "0",
            "ipccCharacterizationFactors": ["AR6"], "crossSectoralStandards": ["ISO14067"],
            "exemptedEmissionsPercent": "0.000"},
}  # benchmark payload only: the figures are placeholders, not data


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of a process and its descendants so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except (OSError, IndexError, ValueError):
        return 0.0
    return own + sum(cpu_s(int(child)) for child in children)


def prepare(folder: Path) -> tuple[str, dict, list[str]]:
    url = f"sqlite:///{folder / 'registry.sqlite'}"
    init(url)
    engine = regdb.ready(regdb.open_engine(url))
    ids: list[str] = []
    for i in range(FOOTPRINTS):
        document: dict = copy.deepcopy(TEMPLATE)
        document.update(id=str(uuid.uuid4()), productIds=[f"urn:pact:product:bench:{i}"])
        publish.publish_document(engine, document, "product", f"bench-{i}")
        ids.append(document["id"])
    return url, auth.add_client(engine, "bench"), ids


async def phase(base: str, context, token: str, paths: list[str]) -> dict:
    latencies: list[float] = []
    count = 0
    deadline = time.perf_counter() + SECONDS
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=base, verify=context, limits=limits, timeout=30,
                                 headers={"Authorization": f"Bearer {token}"}) as http:
        async def one_client(seed: int) -> None:
            nonlocal count
            rng = random.Random(seed)
            while count < REQUESTS and time.perf_counter() < deadline:
                count += 1
                start = time.perf_counter()
                response = await http.get(rng.choice(paths))
                latencies.append(time.perf_counter() - start)
                response.raise_for_status()
        await asyncio.gather(*(http.get(paths[0]) for _ in range(CLIENTS)))  # open the connections
        began, cpu_began = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one_client(i) for i in range(CLIENTS)))
        elapsed, client_cpu = time.perf_counter() - began, time.process_time() - cpu_began
    latencies.sort()
    return {"requests": len(latencies), "seconds": elapsed, "client_cpu_s": client_cpu,
            "per_s": len(latencies) / elapsed, "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="greenal-bench-") as tmp:
        folder = Path(tmp)
        url, client, ids = prepare(folder)
        port = free_port()
        env = {**os.environ, "GREENAL_DATA_DIR": str(folder / "data")}
        command = [sys.executable, "-m", "greenal.cli", "serve", "--db", url, "--port", str(port), "--self-signed",
                   "--workers", str(arguments.workers)]
        server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            base = f"https://127.0.0.1:{port}"
            cert = folder / "data" / "serve" / "self-signed.crt"
            token, context = None, None
            for _ in range(600):
                try:
                    context = ssl.create_default_context(cafile=str(cert))
                    with httpx.Client(verify=context, timeout=5) as http:
                        r = http.post(f"{base}/auth/token", data={"grant_type": "client_credentials"},
                                      auth=(client["client_id"], client["client_secret"]))
                    token = r.json()["access_token"]
                    break
                except (httpx.HTTPError, OSError, KeyError, ValueError):
                    if server.poll() is not None:
                        raise SystemExit(f"server stopped: {server.stderr.read() if server.stderr else ''}") from None
                    time.sleep(0.1)
            if token is None:
                raise SystemExit("server did not answer within 60 s")
            print(f"PACT API on loopback, HTTPS, {arguments.workers} worker(s), {FOOTPRINTS} footprints, "
                  f"{CLIENTS} concurrent clients, at most {REQUESTS} requests or {SECONDS:.0f} s per action "
                  f"({os.cpu_count()} CPUs seen; shared machine)")
            pages = [f"/3/footprints?limit=10&offset={10 * k}" for k in range(FOOTPRINTS // 10)]
            for name, paths in (("GetFootprint", [f"/3/footprints/{i}" for i in ids]),
                                ("ListFootprints limit=10", pages)):
                cpu_before = cpu_s(server.pid)
                result = asyncio.run(phase(base, context, token, paths))
                cpu_ms = 1000 * (cpu_s(server.pid) - cpu_before) / max(result["requests"] + CLIENTS, 1)
                client_ms = 1000 * result["client_cpu_s"] / max(result["requests"], 1)
                print(f"{name:24} {result['requests']:6d} requests in {result['seconds']:5.1f} s: "
                      f"{result['per_s']:7.0f} req/s, p50 {result['p50_ms']:6.1f} ms, p99 {result['p99_ms']:6.1f} ms; "
                      f"CPU per request: server {cpu_ms:.2f} ms, load client {client_ms:.2f} ms")
        finally:
            server.terminate()
            server.wait(30)


if __name__ == "__main__":
    main()
