"""Fixtures for the end-to-end suite: a real `nimbus serve` process, clients pointed at it.

One server per test module (fast); tests that need isolation call `server.reset()`, tests that
restart or kill the process take `fresh_server` (their own process and data dir).

Env:
  NIMBUS_BIN  path to the nimbus binary (default <repo>/.build/debug/nimbus)
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
NIMBUS_BIN = os.environ.get("NIMBUS_BIN") or str(REPO_ROOT / ".build" / "debug" / "nimbus")

REGION = "us-east-1"
START_TIMEOUT = 10.0


def free_ports(n: int) -> list[int]:
    """n distinct free ports. Held open together while chosen: one at a time, the kernel may hand out the
    port it just got back, and a server asked to listen twice on one port fails to start."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def random_account_id() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(12)).replace("0", "1", 1)


def random_access_key_id() -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    return "AKIA" + "".join(secrets.choice(alphabet) for _ in range(16))


def random_secret() -> str:
    # Distinctive enough to grep for in logs and events.
    return "E2eSecret" + secrets.token_hex(15) + "Zz"


def _clean_aws_env() -> dict[str, str]:
    """The process env without any AWS_* settings that could leak in from the developer's shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_CONFIG_FILE"] = os.devnull
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    env["AWS_DEFAULT_REGION"] = REGION
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env["AWS_RETRY_MODE"] = "standard"
    env["AWS_MAX_ATTEMPTS"] = "1"
    return env


def aws_cli_command() -> list[str]:
    """The aws CLI of the interpreter running the tests (the venv's), never a global one."""
    return [sys.executable, "-m", "awscli"]


class Creds:
    def __init__(self, access_key: str, secret_key: str, account_id: str | None = None, token: str | None = None):
        self.access_key = access_key
        self.secret_key = secret_key
        self.account_id = account_id
        self.token = token

    def botocore(self) -> botocore.credentials.Credentials:
        return botocore.credentials.Credentials(self.access_key, self.secret_key, self.token)


class AwsResult:
    def __init__(self, rc: int, stdout: str, stderr: str):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        try:
            self.json = json.loads(stdout) if stdout.strip() else None
        except ValueError:
            self.json = None

    def __iter__(self):  # rc, out, err, parsed = server.aws(...)
        return iter((self.rc, self.stdout, self.stderr, self.json))

    def __repr__(self) -> str:
        return f"AwsResult(rc={self.rc}, stdout={self.stdout[:2000]!r}, stderr={self.stderr[-2000:]!r})"


class NimbusServer:
    """A live `nimbus serve` process on free ports with its own data dir."""

    def __init__(self, data_dir: Path, *, auth: str = "strict", log_level: str = "info", extra_args=(), tls: bool = True,
                 env: dict[str, str] | None = None):
        self.data_dir = Path(data_dir)
        self.extra_env = dict(env or {})  # NIMBUS_* settings for this server, applied after the clean env
        self.auth = auth
        self.log_level = log_level
        self.extra_args = list(extra_args)
        self.tls = tls
        self.account_id = random_account_id()
        self.root = Creds(random_access_key_id(), random_secret(), self.account_id)
        self.port, self.tls_port = free_ports(2) if tls else (free_ports(1)[0], 0)
        self.proc: subprocess.Popen | None = None
        self.log_dir = self.data_dir.parent / (self.data_dir.name + "-logs")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.log_paths: list[Path] = []
        self.starts = 0
        self._session = boto3.session.Session()
        self._clients: dict = {}  # boto3 clients are thread-safe and cheap to reuse, slow to create

    # -- process ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def tls_url(self) -> str:
        return f"https://localhost:{self.tls_port}"

    @property
    def log_path(self) -> Path:
        return self.log_paths[-1]

    def server_env(self) -> dict[str, str]:
        env = _clean_aws_env()
        for k in list(env):
            if k.startswith("NIMBUS_"):
                del env[k]
        env["NIMBUS_ACCOUNT_ID"] = self.account_id
        env["NIMBUS_ROOT_ACCESS_KEY_ID"] = self.root.access_key
        env["NIMBUS_ROOT_SECRET_ACCESS_KEY"] = self.root.secret_key
        env.update(self.extra_env)
        return env

    def command(self) -> list[str]:
        return [
            NIMBUS_BIN, "serve",
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--tls-port", str(self.tls_port),
            "--data-dir", str(self.data_dir),
            "--region", REGION,
            "--log-level", self.log_level,
            "--auth", self.auth,
            *self.extra_args,
        ]

    def start(self) -> "NimbusServer":
        assert self.proc is None or self.proc.poll() is not None, "already running"
        if not Path(NIMBUS_BIN).exists():
            pytest.fail(f"nimbus binary not found at {NIMBUS_BIN} (set NIMBUS_BIN)")
        self.starts += 1
        log_path = self.log_dir / f"server-{self.starts}.log"
        self.log_paths.append(log_path)
        log = open(log_path, "wb")
        try:
            for attempt in range(50):
                try:
                    self.proc = subprocess.Popen(
                        self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                        env=self.server_env(), cwd=str(self.data_dir.parent),
                    )
                    break
                except OSError as e:  # ETXTBSY: the binary is being rebuilt right now
                    if e.errno != errno.ETXTBSY or attempt == 49:
                        raise
                    time.sleep(0.2)
        finally:
            log.close()
        self.wait_healthy()
        return self

    def wait_healthy(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"nimbus exited with {self.proc.returncode} before answering health:\n{self.log_text()}")
            try:
                r = requests.get(self.url + "/_nimbus/health", timeout=1)
                if r.status_code == 200:
                    return
                last = f"HTTP {r.status_code}: {r.text[:500]}"
            except requests.RequestException as e:
                last = repr(e)
            time.sleep(0.05)
        self.kill()
        pytest.fail(f"nimbus did not become healthy in {timeout}s (last: {last}):\n{self.log_text()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 5.0) -> int | None:
        """Stop gracefully (SIGTERM), then kill. Returns the exit code of the graceful stop, None if it had to be killed."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def restart(self) -> "NimbusServer":
        """Stop and start again on the same data dir, ports and pinned credentials."""
        self.stop()
        return self.start()

    def is_running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_text(self) -> str:
        out = []
        for p in self.log_paths:
            try:
                out.append(p.read_text(errors="replace"))
            except FileNotFoundError:
                pass
        return "\n".join(out)

    def log_bytes(self) -> bytes:
        return b"".join(p.read_bytes() for p in self.log_paths if p.exists())

    # -- clients ----------------------------------------------------------------------------

    def client(self, service: str, creds: Creds | None = None, *, endpoint: str | None = None, verify=None, **config):
        creds = creds or self.root
        key = (service, creds.access_key, creds.secret_key, creds.token, endpoint, str(verify), tuple(sorted(config.items())))
        cached = self._clients.get(key)
        if cached is not None:
            return cached
        cfg = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"}, **config)
        client = self._session.client(
            service,
            region_name=REGION,
            endpoint_url=endpoint or self.url,
            aws_access_key_id=creds.access_key,
            aws_secret_access_key=creds.secret_key,
            aws_session_token=creds.token,
            config=cfg,
            verify=verify,
        )
        self._clients[key] = client
        return client

    def cli_env(self, creds: Creds | None = None, **extra) -> dict[str, str]:
        env = _clean_aws_env()
        creds = self.root if creds is None else creds
        if creds is not False:
            env["AWS_ACCESS_KEY_ID"] = creds.access_key
            env["AWS_SECRET_ACCESS_KEY"] = creds.secret_key
            if creds.token:
                env["AWS_SESSION_TOKEN"] = creds.token
        env.update(extra)
        return env

    def aws(self, *args: str, creds: Creds | None = None, endpoint: str | None = None, env: dict | None = None,
            timeout: float = 60) -> AwsResult:
        """Run the aws CLI against this server: returns AwsResult (iterable as rc, stdout, stderr, json)."""
        full_env = self.cli_env(creds)
        if env:
            full_env.update(env)
        cmd = [*aws_cli_command(), "--endpoint-url", endpoint or self.url, "--output", "json", *args]
        p = subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=timeout)
        return AwsResult(p.returncode, p.stdout, p.stderr)

    def signed_request(self, method: str, path: str, *, body: bytes = b"", headers: dict | None = None,
                       creds: Creds | None = None, service: str = "nimbus", region: str = REGION,
                       timeout: float = 30) -> requests.Response:
        """Send an arbitrary request signed with botocore's SigV4Auth."""
        creds = creds or self.root
        url = self.url + path
        req = botocore.awsrequest.AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
        botocore.auth.SigV4Auth(creds.botocore(), service, region).add_auth(req)
        prepared = req.prepare()
        return requests.request(method, prepared.url, headers=dict(prepared.headers), data=body, timeout=timeout)

    def reset(self, creds: Creds | None = None) -> requests.Response:
        if self.auth == "compat" and creds is None:
            r = requests.post(self.url + "/_nimbus/reset", timeout=30)
        else:
            r = self.signed_request("POST", "/_nimbus/reset", creds=creds)
        return r

    def health(self) -> requests.Response:
        return requests.get(self.url + "/_nimbus/health", timeout=10)

    def assert_healthy(self) -> None:
        assert self.is_running(), f"nimbus died (rc={self.proc.returncode}):\n{self.log_text()[-4000:]}"
        r = self.health()
        assert r.status_code == 200, r.text

    # -- accounts ---------------------------------------------------------------------------

    def create_account(self, name: str | None = None, account_id: str | None = None) -> Creds:
        """`nimbus accounts create --data-dir D`; parses the printed credentials."""
        cmd = [NIMBUS_BIN, "accounts", "create", "--data-dir", str(self.data_dir)]
        if name:
            cmd += ["--name", name]
        if account_id:
            cmd += ["--account-id", account_id]
        p = subprocess.run(cmd, capture_output=True, text=True, env=self.server_env(), timeout=30)
        assert p.returncode == 0, f"accounts create failed rc={p.returncode}\n{p.stdout}\n{p.stderr}"
        return parse_printed_credentials(p.stdout)

    def list_accounts(self) -> str:
        p = subprocess.run([NIMBUS_BIN, "accounts", "list", "--data-dir", str(self.data_dir)],
                           capture_output=True, text=True, env=self.server_env(), timeout=30)
        assert p.returncode == 0, f"accounts list failed rc={p.returncode}\n{p.stdout}\n{p.stderr}"
        return p.stdout

    # -- cloudtrail -------------------------------------------------------------------------

    def all_events(self, creds: Creds | None = None, **kwargs) -> list[dict]:
        ct = self.client("cloudtrail", creds)
        events, token = [], None
        while True:
            args = dict(kwargs)
            if token:
                args["NextToken"] = token
            resp = ct.lookup_events(**args)
            events.extend(resp.get("Events", []))
            token = resp.get("NextToken")
            if not token:
                return events


def parse_printed_credentials(text: str) -> Creds:
    """Parse the shared-credentials-style block `nimbus accounts create` prints."""
    values = {}
    for line in text.splitlines():
        line = line.strip()
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            values[k.strip()] = v.strip()
    assert "aws_access_key_id" in values and "aws_secret_access_key" in values, f"no credentials printed:\n{text}"
    return Creds(values["aws_access_key_id"], values["aws_secret_access_key"], values.get("account_id"))


def _new_server(tmp_root: Path, name: str, **kw) -> NimbusServer:
    data = tmp_root / name
    data.mkdir(parents=True)
    return NimbusServer(data, **kw)


@pytest.fixture(scope="session")
def tmp_root():
    d = Path(tempfile.mkdtemp(prefix="nimbus-e2e-"))
    yield d
    if os.environ.get("NIMBUS_E2E_KEEP"):
        print(f"kept {d}")
    else:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def server(tmp_root, request):
    """A strict-mode server shared by the tests of one module."""
    s = _new_server(tmp_root, f"{request.module.__name__}-strict-{secrets.token_hex(3)}").start()
    yield s
    s.stop()
    s.kill()


@pytest.fixture(scope="module")
def compat_server(tmp_root, request):
    s = _new_server(tmp_root, f"{request.module.__name__}-compat-{secrets.token_hex(3)}", auth="compat").start()
    yield s
    s.stop()
    s.kill()


@pytest.fixture
def fresh_server(tmp_root, request):
    """A server of one's own (for tests that restart, kill or signal it). Not started: call .start()."""
    name = re.sub(r"[^A-Za-z0-9_-]", "_", request.node.name)[:40]
    s = _new_server(tmp_root, f"{name}-{secrets.token_hex(3)}")
    yield s
    s.stop()
    s.kill()


@pytest.fixture
def clean(server):
    """Reset the shared server before the test, so CloudTrail holds only this test's calls."""
    r = server.reset()
    assert r.status_code == 200, f"reset failed: {r.status_code} {r.text}"
    return server
