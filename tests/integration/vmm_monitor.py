#!/usr/bin/python3
"""A small client for virtd-vmm's monitor socket (drivers/kvm/vmm/MONITOR.md), for tests and humans.

As a module:
    with MonitorClient("/run/vm.sock") as m:
        m.execute("stop")                 # the reply's "return"; MonitorError on an error reply
        events = m.wait_events(1, 5.0)    # [{"event": "STOP", "data": {...}, "timestamp": {...}}]

As a program:
    vmm_monitor.py SOCKET COMMAND [JSON-ARGS]   prints the "return" as JSON, exit 0;
                                                an error reply prints the error, exit 1
    vmm_monitor.py SOCKET [COMMAND [JSON-ARGS]] --events N [--timeout S]
                                                also waits for N events (counting those that came
                                                with the reply) and prints one per line; exit 1
                                                if fewer arrive in time
Connection or usage problems exit 2. Standard library only.
"""

import argparse
import json
import socket
import sys
import time


class MonitorError(Exception):
    """An error reply: `cls` is its class ("CommandNotFound", ...), `desc` its text."""

    def __init__(self, cls, desc):
        super().__init__(f"{cls}: {desc}")
        self.cls = cls
        self.desc = desc


class MonitorClient:
    """One connection. Events that arrive while waiting for a reply are kept for wait_events()."""

    def __init__(self, path, timeout=10.0):
        self.timeout = timeout
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.events = []
        self.next_id = 1
        self.greeting = self._read_message(time.monotonic() + timeout)
        if self.greeting is None:
            raise ConnectionError(f"{path}: closed before the greeting")
        if "error" in self.greeting:  # e.g. too many clients
            err = self.greeting["error"]
            raise MonitorError(err.get("class", "GenericError"), err.get("desc", ""))

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _read_message(self, deadline):
        """The next JSON message, or None at end of connection; socket.timeout past deadline."""
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("timed out waiting for the monitor")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line.decode("utf-8"))

    def execute(self, command, arguments=None, timeout=None):
        """Runs a command and returns its "return" value; raises MonitorError on an error reply."""
        request = {"execute": command, "id": self.next_id}
        self.next_id += 1
        if arguments is not None:
            request["arguments"] = arguments
        self.sock.sendall(json.dumps(request).encode("utf-8") + b"\n")
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            msg = self._read_message(deadline)
            if msg is None:
                raise ConnectionError("the monitor closed the connection")
            if "event" in msg:
                self.events.append(msg)
                continue
            if msg.get("id") != request["id"]:
                continue  # a reply to someone else's request on this connection: not ours
            if "error" in msg:
                raise MonitorError(msg["error"].get("class", "GenericError"),
                                   msg["error"].get("desc", ""))
            return msg.get("return")

    def wait_events(self, count, timeout=None, name=None):
        """Waits until `count` events (named `name`, if given) have arrived; returns them (and
        forgets them). Returns fewer if the timeout passes or the connection closes."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)

        def matching():
            return [e for e in self.events if name is None or e.get("event") == name]

        while len(matching()) < count:
            try:
                msg = self._read_message(deadline)
            except socket.timeout:
                break
            if msg is None:
                break
            if "event" in msg:
                self.events.append(msg)
        got = matching()[:count]
        self.events = [e for e in self.events if not any(e is g for g in got)]
        return got


def execute(path, command, arguments=None, timeout=10.0):
    """Connects, runs one command, returns its "return" value (MonitorError on an error)."""
    with MonitorClient(path, timeout) as m:
        return m.execute(command, arguments)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Talk to a virtd-vmm monitor socket.")
    parser.add_argument("socket", help="the monitor socket (virtd-vmm --monitor PATH)")
    parser.add_argument("command", nargs="?", help="command to execute, e.g. query-commands")
    parser.add_argument("arguments", nargs="?", help="the command's arguments as a JSON object")
    parser.add_argument("--events", type=int, default=0, metavar="N",
                        help="then wait for N events and print them, one per line")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="S",
                        help="seconds to wait for the reply and for the events (default 10)")
    args = parser.parse_args(argv)
    if args.command is None and args.events <= 0:
        parser.error("give a COMMAND, --events N, or both")
    arguments = None
    if args.arguments is not None:
        try:
            arguments = json.loads(args.arguments)
        except json.JSONDecodeError as e:
            parser.error(f"JSON-ARGS: {e}")
        if not isinstance(arguments, dict):
            parser.error("JSON-ARGS must be a JSON object")

    try:
        with MonitorClient(args.socket, args.timeout) as m:
            if args.command is not None:
                try:
                    print(json.dumps(m.execute(args.command, arguments)), flush=True)
                except MonitorError as e:
                    print(json.dumps({"class": e.cls, "desc": e.desc}), flush=True)
                    print(f"error: {e}", file=sys.stderr)
                    return 1
            if args.events > 0:
                events = m.wait_events(args.events, args.timeout)
                for e in events:
                    print(json.dumps(e), flush=True)
                if len(events) < args.events:
                    print(f"error: {len(events)} of {args.events} events in {args.timeout} s",
                          file=sys.stderr)
                    return 1
    except MonitorError as e:  # refused at connection time
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as e:
        print(f"error: {args.socket}: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
