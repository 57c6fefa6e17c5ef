"""A git remote on 127.0.0.1, served the way hosting services serve one: git's own smart HTTP
backend (``git http-backend``) behind HTTP basic authentication, over bare repositories that the
tests fill with real commits."""

import base64
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def git(*args, cwd=None):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


class GitServer:
    """Bare repositories under ``root``, served at ``url``/<name>.git; with ``token``, a request
    must authenticate with that password (any username), as a token does on GitHub or GitLab."""

    def __init__(self, root, token=None):
        self.root, self.token = Path(root), token
        self.requests = []
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.http.shutdown()
        self.http.server_close()

    def repository(self, name):
        """A new bare repository ``name``.git with its working copy; returns the working copy."""
        bare = self.root / f"{name}.git"
        git("init", "--bare", "--initial-branch=main", str(bare))
        work = self.root / f"{name}-work"
        git("clone", str(bare), str(work))
        git("config", "user.email", "dev@example.com", cwd=work)
        git("config", "user.name", "Dev", cwd=work)
        return work

    @staticmethod
    def commit(work, message, branch="main", files=None):
        """Commit ``files`` ({path: text}) on ``branch`` and push it; returns the commit id."""
        git("checkout", "-B", branch, cwd=work)
        for path, text in (files or {f"{message}.txt": message}).items():
            (Path(work) / path).parent.mkdir(parents=True, exist_ok=True)
            (Path(work) / path).write_text(text)
        git("add", "-A", cwd=work)
        git("commit", "-m", message, cwd=work)
        git("push", "-q", "origin", branch, cwd=work)
        return git("rev-parse", "HEAD", cwd=work)

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self._serve()

            def do_POST(self):
                self._serve()

            def log_message(self, *args):
                pass

            def _serve(self):
                server.requests.append((self.command, self.path, self.headers.get("Authorization")))
                if server.token and not self._authorized():
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="git"')
                    self.end_headers()
                    return
                path, _, query = self.path.partition("?")
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                env = {
                    "PATH": os.environ["PATH"], "GIT_PROJECT_ROOT": str(server.root), "GIT_HTTP_EXPORT_ALL": "1",
                    "REQUEST_METHOD": self.command, "PATH_INFO": path, "QUERY_STRING": query,
                    "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
                    "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""), "REMOTE_ADDR": "127.0.0.1",
                }
                out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True).stdout
                head, _, payload = out.partition(b"\r\n\r\n")
                headers = [line.split(": ", 1) for line in head.decode().split("\r\n") if ": " in line]
                status = next((int(value.split()[0]) for name, value in headers if name == "Status"), 200)
                self.send_response(status)
                for name, value in headers:
                    if name != "Status":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _authorized(self):
                scheme, _, encoded = (self.headers.get("Authorization") or "").partition(" ")
                if scheme != "Basic":
                    return False
                _user, _, password = base64.b64decode(encoded).decode().partition(":")
                return password == server.token

        return Handler
