#!/usr/bin/env python3
"""A token server for the distribution registry's token auth, for tests/registry.rs only.

    token_server.py DIR LIFETIME_SECONDS

Listens on a free loopback port and prints it on the first line. Signs RS256 JWTs with
DIR/key.pem through the openssl command line (Python's standard library has no RSA), with
DIR/cert.pem in the x5c header; the registry trusts that certificate (its rootcertbundle).

- Basic testuser:testpass: a token granting the scopes asked for.
- no Authorization header: a token granting nothing (a private repository, anonymously).
- wrong credentials: HTTP 401 {"details": "invalid credentials"}.

Stops by itself after LIFETIME_SECONDS, so that a test killed midway leaves nothing behind.
"""
import base64
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

DIR, LIFETIME = sys.argv[1], float(sys.argv[2])
ISSUER, SERVICE = "kube-rofs-test-issuer", "kube-rofs-test"
USERS = {"testuser": "testpass"}
CERT_DER = subprocess.run(
    ["openssl", "x509", "-in", f"{DIR}/cert.pem", "-outform", "DER"], capture_output=True, check=True
).stdout


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(claims):
    header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(CERT_DER).decode()]}
    signed = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = subprocess.run(
        ["openssl", "dgst", "-sha256", "-sign", f"{DIR}/key.pem"],
        input=signed.encode(),
        capture_output=True,
        check=True,
    ).stdout
    return f"{signed}.{b64url(signature)}"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        query = parse_qs(urlparse(self.path).query)
        auth = self.headers.get("Authorization", "")
        user = None
        if auth.startswith("Basic "):
            name, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            if USERS.get(name) != password:
                return self.reply(401, {"details": "invalid credentials"})
            user = name
        access = []
        for scope in query.get("scope", []) if user else []:
            kind, name, actions = scope.split(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        token = sign({
            "iss": ISSUER, "sub": user or "", "aud": query.get("service", [SERVICE])[0],
            "exp": now + 300, "nbf": now - 10, "iat": now, "jti": str(time.time_ns()), "access": access,
        })
        self.reply(200, {"token": token, "access_token": token, "expires_in": 300})

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        sys.stderr.write(f"{self.command} {self.path} -> {code}\n")

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
print(server.server_address[1], flush=True)
time.sleep(LIFETIME)
