"""`python -m devstack run|servers|test`: the embedded stack for development and for the test suite."""

import argparse
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from devstack import django_steps, interrupts, ports, procfile, reaper, testplan
from devstack.console import complain, redact, say
from devstack.errors import DevstackError, Terminated
from devstack.readiness import ReadyWatch
from devstack.stack import SERVICES, Stack

REPO_DIR = django_steps.REPO_DIR
DEFAULT_PORT = 8000
# After Ctrl+C pytest writes its summary; it gets this long before we stop it ourselves.
PYTEST_GRACE_SECONDS = 30.0
CHILD_GRACE_SECONDS = 5.0


def var_dir_from_env() -> Path:
    return Path(os.environ.get("KEYHOLD_VAR_DIR") or REPO_DIR / "var").resolve()


def web_address() -> tuple[str, int]:
    host = os.environ.get("HOST") or "127.0.0.1"
    raw_port = os.environ.get("PORT") or str(DEFAULT_PORT)
    try:
        port = int(raw_port)
    except ValueError:
        raise DevstackError(f"PORT must be a number, not {raw_port!r}.") from None
    return host, port


def site_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host  # noqa: S104 - only mapping for display
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


def say_urls(stack: Stack, site: str | None) -> None:
    if site:
        say(f"  {'Keyhold':<15} {site}")
    for service in SERVICES:
        origin = "embedded" if service.name in stack.servers else f"from {service.env}"
        say(f"  {service.title:<15} {redact(stack.urls[service.name])}  ({origin})")


def _living_children() -> list[psutil.Process]:
    alive = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE:
                alive.append(child)
        except psutil.Error:
            continue
    return alive


def stop_stray_children() -> None:
    """Verify nothing we started outlives us; kill and report anything that did."""
    # honcho's helper processes exit right after their command; give them a moment. Zombies count
    # as gone (multiprocessing reaps them), and waiting here must not reap them in its place.
    deadline = time.monotonic() + CHILD_GRACE_SECONDS
    while (strays := _living_children()) and time.monotonic() < deadline:
        time.sleep(0.1)
    if strays:
        complain("killing processes that outlived their stop: " + ", ".join(str(p.pid) for p in strays))
        reaper.kill_all(strays, grace=CHILD_GRACE_SECONDS)


def check_web_port(host: str, port: int) -> None:
    """Fail before starting anything when gunicorn could not listen on HOST:PORT."""
    try:
        free = ports.port_is_free(host, port)
    except (OSError, OverflowError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise DevstackError(f"cannot listen on {host}:{port} ({reason}); check HOST and PORT.") from None
    if not free:
        holder = ports.listener_of(port)
        who = f" by pid {holder.pid} ({holder.name()})" if holder else ""
        raise DevstackError(
            f"port {port} on {host} is already in use{who}. Stop that, or choose another port: PORT={port + 1} make run"
        )


def run(_args: argparse.Namespace) -> int:
    started = time.monotonic()
    host, port = web_address()
    check_web_port(host, port)
    ports.reserve(port)
    var_dir = var_dir_from_env()
    site = site_url(host, port)
    say(f"data in {var_dir}")
    listener = {"TELEMETRY_LISTENER_HOST": ports.LOOPBACK}
    listener["TELEMETRY_UDP_PORT"] = os.environ.get("TELEMETRY_UDP_PORT") or str(ports.free_udp_port())
    listener["TELEMETRY_TCP_PORT"] = os.environ.get("TELEMETRY_TCP_PORT") or str(ports.free_port())
    addresses = {kind: f"{ports.LOOPBACK}:{listener[f'TELEMETRY_{kind.upper()}_PORT']}" for kind in ("udp", "tcp")}
    stack = Stack(var_dir, web_url=site, listener=addresses)
    with stack as env:
        env |= {"HOST": host, "PORT": str(port), "PYTHONUNBUFFERED": "1", **listener}
        django_steps.migrate(env)
        django_steps.ensure_admin(env, site)
        say(f"services ({time.monotonic() - started:.1f} s since start):")
        say_urls(stack, site)
        say(f"  {'Telemetry':<15} udp://{addresses['udp']}  tcp://{addresses['tcp']}")
        say(f"starting {', '.join(procfile.PROCESSES)}; Ctrl+C stops everything")
        watch = ReadyWatch(f"{site}/readyz", since=started)
        code = procfile.run_processes(env, cwd=REPO_DIR, var_dir=var_dir, on_started=watch.start)
        watch.stop()
    stop_stray_children()
    if code in procfile.INTERRUPTED_CODES:
        say("stopped; nothing left running")
        return 0
    complain(f"a process stopped on its own (exit code {code}), so everything was stopped; see its output above")
    return code or 1


def servers(_args: argparse.Namespace) -> int:
    host, port = web_address()
    var_dir = var_dir_from_env()
    stack = Stack(var_dir, web_url=site_url(host, port))
    try:
        with stack:
            say_urls(stack, None)
            say(f"URLs written to {stack.stack_json}, where settings find them (manage.py runserver, shell...)")
            say("Ctrl+C stops the servers")
            while True:
                time.sleep(1)
                for server in stack.servers.values():
                    if server.process is None or server.process.poll() is not None:
                        raise DevstackError(f"{server.title} stopped on its own; see {server.log_path}")
    except KeyboardInterrupt:
        # Ctrl+C is how this command ends.
        say("stopped; nothing left running")
        return 0


def run_pytest(pytest_args: list[str], env: dict[str, str]) -> int:
    say("running " + shlex.join(["python", "-m", "pytest", *pytest_args]))
    proc = subprocess.Popen([sys.executable, "-m", "pytest", *pytest_args], env=env)
    try:
        return proc.wait()
    except KeyboardInterrupt as exc:
        with interrupts.held():
            # Ctrl+C reached pytest as well (same process group); our SIGTERM did not.
            if isinstance(exc, Terminated):
                proc.terminate()
            try:
                proc.wait(timeout=PYTEST_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        raise


def test(pytest_args: list[str]) -> int:
    temp_dir = Path(tempfile.mkdtemp(prefix="keyhold-test-"))
    say(f"throw-away servers and KEYHOLD_VAR_DIR in {temp_dir}")
    try:
        stack = Stack(temp_dir, throwaway=True)
        with stack as env:
            workers = testplan.worker_count(env, all_servers_embedded=len(stack.servers) == len(SERVICES))
            if workers > 1:
                say(f"{workers} test processes ({testplan.WORKERS_VARIABLE}=1 for one); fault and serial tests after")
            codes = [run_pytest(args, env) for args in testplan.phases(pytest_args, workers)]
            code = testplan.combined_exit_code(codes)
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)
    stop_stray_children()
    say(f"pytest exited with code {code}; servers stopped, {temp_dir} removed")
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="servers, migrate, first admin, then web, worker, beat and listener until Ctrl+C")
    commands.add_parser("servers", help="only the servers, until Ctrl+C (for manage.py runserver)")
    commands.add_parser("test", help="throw-away servers for one pytest run; other arguments go to pytest")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # A shell starts background jobs with SIGINT ignored, and Python then keeps it ignored: make
    # `kill -INT` stop us cleanly however we were started.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        # Everything after `test` belongs to pytest, options included.
        if argv[:1] == ["test"]:
            return test(argv[1:])
        args = build_parser().parse_args(argv)
        return {"run": run, "servers": servers}[args.command](args)
    except DevstackError as exc:
        complain(f"error: {exc}")
        return 1
    except KeyboardInterrupt as exc:
        complain("interrupted; everything devstack started was stopped")
        return 143 if isinstance(exc, Terminated) else 130
