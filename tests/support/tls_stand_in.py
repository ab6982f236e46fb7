"""A loopback HTTPS stand-in for the real tools (curl, az) in the replay tests.

It listens on 127.0.0.1 as an HTTP proxy: a CONNECT to any host is accepted, the tunnel is
answered with TLS under a test certificate the tool is told to trust, and every request inside
is forwarded as plain HTTP to the tests' recording fake (127.0.0.1:UPSTREAM) with the host put
in front of the path (`/graph.microsoft.com/v1.0/...`), the same shape the fake serves to
ekm-wizard itself. Nothing leaves the machine: the proxy connects to the fake only.

Usage: python3 tls_stand_in.py CERT KEY UPSTREAM_PORT PORT_FILE
"""

import os
import socket
import ssl
import sys
import threading


def read_head(stream):
    return read_head_with(stream, b"")


def relay(tls, host, upstream_port):
    """Forwards requests on one TLS connection, one at a time, to the fake."""
    pending = b""
    while True:
        head, rest = read_head_with(tls, pending)
        if head is None:
            return
        lines = head.split("\r\n")
        method, target, version = lines[0].split(" ", 2)
        length = 0
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip() or 0)
            if name.strip().lower() in ("connection", "proxy-connection"):
                continue
            headers.append(line)
        body = rest
        while len(body) < length:
            chunk = tls.recv(65536)
            if not chunk:
                return
            body += chunk
        pending = body[length:]
        body = body[:length]
        forwarded = "%s /%s%s %s\r\n%s\r\nConnection: close\r\n\r\n" % (
            method, host, target, version, "\r\n".join(headers))
        with socket.create_connection(("127.0.0.1", upstream_port)) as up:
            up.sendall(forwarded.encode("latin-1") + body)
            answer = read_answer(up)
        tls.sendall(answer)


def read_answer(up):
    """Reads one HTTP answer (head and Content-Length body) from the fake."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = up.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip() or 0)
    while len(rest) < length:
        chunk = up.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head + b"\r\n\r\n" + rest[:length]


def read_head_with(stream, pending):
    data = pending
    while b"\r\n\r\n" not in data:
        chunk = stream.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    return head.decode("latin-1"), rest


def serve(client, context, upstream_port):
    try:
        head, _ = read_head(client)
        if head is None:
            return
        method, target, _ = head.split("\r\n")[0].split(" ", 2)
        if method != "CONNECT":
            client.sendall(b"HTTP/1.1 405 Only CONNECT\r\nContent-Length: 0\r\n\r\n")
            return
        host = target.rsplit(":", 1)[0]
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        tls = context.wrap_socket(client, server_side=True)
        relay(tls, host, upstream_port)
    except Exception as err:  # a broken client ends its own connection only
        sys.stderr.write("stand-in: %r\n" % (err,))
    finally:
        try:
            client.close()
        except OSError:
            pass


def main():
    cert, key, upstream_port, port_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(listener.getsockname()[1]))
    os.replace(port_file + ".tmp", port_file)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=serve, args=(client, context, upstream_port), daemon=True).start()


if __name__ == "__main__":
    main()
