"""S3 from a one-node Ceph (monitor, OSD, RADOS Gateway) initialised under the stack's state directory."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from system.stack.containers import container
from system.stack.process import ManagedProcess, StackError, pid_alive, run, wait_until
from system.stack.settings import StackSettings

MON_PORT_OFFSET = 10000  # monitor on s3_port + 10000: clear of Ceph's 3300/6789, so a system Ceph can coexist
BLOCK_SIZE = 10 * 1024**3  # a sparse file: only data actually written takes disk space
START_TIMEOUT = 90.0
CLI_TIMEOUT = 60.0
RESTARTS = 3  # a daemon that dies more often than this during one up() is broken, not merely unlucky
DAEMONS = (b"ceph-mon", b"ceph-osd", b"radosgw")
BAD_KEYS = ("InvalidAccessKeyId", "SignatureDoesNotMatch")

# One node, no cephx, little memory, quick to start. `ms mon client mode = crc`: with auth none radosgw
# otherwise loops on "get_initial_auth_request returned -13". One PG per pool and one op shard: far less
# peering and fewer block-device open/close cycles at start, each made fast by `bdev aio poll ms`. The
# monitor would shut down below 5% free disk. A short objecter timeout lets radosgw notice at once that a
# SIGKILLed OSD came back at a new address (the default waits 10 s).
CONF = """\
[global]
fsid = {fsid}
mon host = v2:127.0.0.1:{mon_port}
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
run dir = {home}/run
pid file = {home}/run/$cluster-$name.pid
admin socket = {home}/run/$cluster-$name.asok
log file = {home}/log/$cluster-$name.log
mon cluster log file = {home}/log/$cluster.$channel.log
crash dir = {home}/crash
mon data = {home}/mon
osd data = {home}/osd
rgw data = {home}/rgw
osd objectstore = bluestore
bluestore block path = {home}/osd-block
bluestore block create = true
bluestore block size = {block_size}
bluestore fsck on mkfs = false
bdev aio poll ms = 20
osd op num shards = 1
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 1
osd pool default pgp num = 1
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail crit = 1
paxos propose interval = 0.1
mon memory target = 268435456
rocksdb cache size = 33554432
osd memory target = 536870912
bluestore cache autotune = false
bluestore cache size = 67108864
objecter tick interval = 1
objecter timeout = 2

[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:{s3_port}
rgw thread pool size = 64
"""


class CephS3:
    """S3 at settings.s3_endpoint, served by radosgw on a one-monitor, one-OSD Ceph in <state>/ceph."""

    name = "s3"

    def __init__(self, settings: StackSettings) -> None:
        self.settings = settings
        self.home = settings.state_dir.absolute() / "ceph"
        self.conf = self.home / "ceph.conf"
        self.container = container(settings, "ceph")
        # In containers, each daemon's health check asks the cluster about that daemon (the gateway: the image's).
        cli = f"ceph --conf {shlex.quote(str(self.conf))} --connect-timeout 4"
        self.mon = self._daemon("ceph-mon", "-i", "a", health=f"{cli} mon stat")
        self.osd = self._daemon("ceph-osd", "-i", "0", health=f"{cli} osd dump | grep -q '^osd.0 up'")
        self.rgw = self._daemon("radosgw", "-n", "client.rgw.a")
        self._client: Any = None

    def _daemon(self, binary: str, *args: str, health: str | None = None) -> ManagedProcess:
        argv = [binary, "-f", *args, "--conf", str(self.conf)]
        s = self.settings
        env = {"RGW_PORT": str(s.s3_port)}
        return ManagedProcess(binary, argv, s.run_dir, s.log_dir, env, container=self.container, health=health)

    def processes(self) -> list[ManagedProcess]:
        """The monitor, the OSD and the gateway."""
        return [self.mon, self.osd, self.rgw]

    def up(self) -> None:
        """Initialise on first use, start what is not running, wait until a signed S3 call succeeds."""
        self._sweep()
        marker = self.home / "initialised"
        if marker.exists():
            self._write_conf()  # picks up a changed s3_port
            for proc in self.processes():  # OSD and gateway wait for the monitor by themselves
                proc.start()
        else:
            self._initialise()
        self._wait_ready()
        marker.touch()

    def down(self) -> None:
        """Stop gateway, OSD, monitor (the OSD tells the monitor it leaves), then any untracked daemon."""
        self._sweep()
        for proc in reversed(self.processes()):
            proc.stop(timeout=20)
        self._sweep()

    def health(self) -> tuple[bool, str]:
        """(ok, detail): a signed HEAD of the bucket succeeds within ~2 s."""
        stopped = [p.name for p in self.processes() if not p.running()]
        if stopped:  # with the OSD gone the gateway would hang until the timeout: answer at once
            return False, f"not running: {', '.join(stopped)}"
        try:
            self.client().head_bucket(Bucket=self.settings.s3_bucket)
        except Exception as exc:  # whatever went wrong, the store is unhealthy: report it briefly
            return False, f"{type(exc).__name__}: {str(exc)[:100]}"
        return True, f"{self.settings.s3_endpoint}/{self.settings.s3_bucket}"

    def client(self) -> Any:
        """A boto3 S3 client with the stack's keys; each call bounded (1 s connect, 2 s read, no retry)."""
        if self._client is None:
            s = self.settings
            config = Config(
                region_name="us-east-1",
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                connect_timeout=1,
                read_timeout=2,
                retries={"total_max_attempts": 1, "mode": "standard"},
            )
            self._client = boto3.client(
                "s3",
                endpoint_url=s.s3_endpoint,
                aws_access_key_id=s.s3_access_key,
                aws_secret_access_key=s.s3_secret_key,
                config=config,
            )
        return self._client

    def _initialise(self) -> None:
        # Without the marker this is a fresh or half-finished setup: start over rather than repair it.
        self.down()
        shutil.rmtree(self.home, ignore_errors=True)
        for sub in ("mon", "osd", "run", "log", "rgw", "crash"):
            (self.home / sub).mkdir(parents=True)
        cluster = {"fsid": str(uuid.uuid4()), "mon_port": self.settings.s3_port + MON_PORT_OFFSET}
        (self.home / "cluster.json").write_text(json.dumps(cluster))  # fixed for the life of the monitor
        self._write_conf()
        monmap = str(self.home / "monmap")
        mon_addr = f"[v2:127.0.0.1:{cluster['mon_port']}]"
        self._run("monmaptool", "--create", "--fsid", str(cluster["fsid"]), "--addv", "a", mon_addr, monmap)
        self._run("ceph-mon", "--mkfs", "-i", "a", "--monmap", monmap)
        self.mon.start()
        osd_uuid = str(uuid.uuid4())
        # Formatting BlueStore needs no monitor: overlap it with the monitor's start and `osd new`.
        with ThreadPoolExecutor(1) as pool:
            mkfs = pool.submit(self._run, "ceph-osd", "--mkfs", "-i", "0", "--osd-uuid", osd_uuid)
            self._run("ceph", "--connect-timeout", "30", "osd", "new", osd_uuid, "0")
            mkfs.result()
        self.osd.start()
        self.rgw.start()
        self._admin("user", "create", "--uid", "stack", "--display-name", "stack", *self._keys())

    def _write_conf(self) -> None:
        cluster = json.loads((self.home / "cluster.json").read_text())
        text = CONF.format(home=self.home, block_size=BLOCK_SIZE, s3_port=self.settings.s3_port, **cluster)
        self.conf.write_text(text)

    def _run(self, *argv: str) -> str:
        argv = (argv[0], "--conf", str(self.conf), *argv[1:])
        return run(argv, timeout=CLI_TIMEOUT, container=self.container).stdout

    def _admin(self, *args: str) -> str:
        return self._run("radosgw-admin", "--client-mount-timeout", "30", *args)

    def _keys(self) -> list[str]:
        return ["--access-key", self.settings.s3_access_key, "--secret-key", self.settings.s3_secret_key]

    def _wait_ready(self) -> None:
        """Wait until a signed call on the bucket succeeds, restarting a daemon that dies meanwhile."""
        restarts = 0

        def ready() -> bool:
            nonlocal restarts
            for proc in self.processes():
                # A daemon SIGKILLed just before up() may still have looked alive to start(): start it now.
                if not proc.running():
                    if restarts == RESTARTS:
                        proc.ensure_running()  # raises, quoting the end of its log
                    restarts += 1
                    proc.start()
            self._ensure_bucket()
            return True

        wait_until(ready, timeout=START_TIMEOUT, what=f"S3 at {self.settings.s3_endpoint} (see {self.home}/log)")

    def _ensure_bucket(self) -> None:
        s3, bucket = self.client(), self.settings.s3_bucket
        try:
            s3.head_bucket(Bucket=bucket)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            # The only user is ours, so a 403 means the keys changed in the settings since it was created.
            if code in ("403", *BAD_KEYS):
                self._admin("key", "create", "--uid", "stack", "--key-type", "s3", *self._keys())
                raise
            if code not in ("404", "NoSuchBucket"):
                raise
            s3.create_bucket(Bucket=bucket)

    def _sweep(self) -> None:
        """Forget pid files naming someone else's process (pid reused); stop daemons no pid file tracks."""
        for proc in self.processes():
            if proc.pid is not None and self._daemon_of(proc.pid) is None:
                proc.pidfile.unlink(missing_ok=True)
        tracked = {p.pid for p in self.processes()}
        strays = [
            (DAEMONS.index(name), pid)
            for pid in (int(e.name) for e in Path("/proc").iterdir() if e.name.isdigit())
            if pid not in tracked and (name := self._daemon_of(pid)) is not None
        ]
        # Gateway, OSD, monitor: each shuts down promptly only while the next one still runs.
        for _, pid in sorted(strays, reverse=True):
            stop_pid(pid)

    def _daemon_of(self, pid: int) -> bytes | None:
        """Which Ceph daemon of this cluster `pid` is (its command line names our ceph.conf), if any."""
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return None
        name = os.path.basename(argv[0])
        return name if name in DAEMONS and os.fsencode(self.conf) in argv else None


def stop_pid(pid: int, timeout: float = 20) -> None:
    """SIGTERM one process (not its group: a stray may share a shell's group), SIGKILL it after `timeout`."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        try:
            wait_until(lambda: not pid_alive(pid), timeout=timeout, what=f"pid {pid} to exit")
        except StackError:
            os.kill(pid, signal.SIGKILL)
