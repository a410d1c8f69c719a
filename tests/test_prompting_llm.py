"""Stage 2 with a language model: a local tiny Llama (with and without a LoRA adapter) and an
OpenAI-compatible server played by a small HTTP server on 127.0.0.1."""
from __future__ import annotations

import importlib.util
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cinealert.alerts import Alert
from cinealert.alerts.model import Area, Info
from cinealert.errors import BackendUnavailable, InputError
from cinealert.prompting import SceneMetadata, TemplateGenerator
from cinealert.prompting.llm import LocalLLMGenerator, OpenAIGenerator, UnusableOutput, api_base, create_generator
from cinealert.prompting.llm_format import build_messages

#: Local-model tests need torch and transformers; the server tests need only the standard library.
needs_models = pytest.mark.skipif(any(importlib.util.find_spec(m) is None for m in ("torch", "transformers")),
                                  reason="torch and transformers are not installed")

ANSWER = json.dumps({
    "scene": "Muddy flood water covers a narrow road in a river town. "
             "Muddy flood water covers a narrow road in a river town.",
    "setting": "a small river town with brick houses",
    "foreground": ["a flooded road", "parked cars with water up to their wheels"],
    "background": ["low green hills"],
    "sky": "low grey rain clouds 0",
    "time_of_day": "night",
    "season": "summer",
    "camera": "zoom-in",
})


def alert(disaster="flood", language="en", **kw) -> Alert:
    header = {k: kw.pop(k) for k in ("level", "sent") if k in kw}
    return Alert(source="keyword", disaster=disaster, infos=[Info(language=language, **kw)], **header)


FLOOD = alert("flood", level="warning", event="Flood Warning", areas=[Area(description="Seoul")])


def check_metadata(meta: SceneMetadata, gen) -> None:
    """``meta`` is ANSWER read back, cleaned, with the template filling lighting, mood and motion."""
    base = TemplateGenerator().generate(FLOOD, seed=3)
    assert meta.disaster == "flood" and meta.language == "en"
    assert meta.scene == "Muddy flood water covers a narrow road in a river town."
    assert meta.setting == "a small river town with brick houses"
    assert meta.foreground == ["a flooded road", "parked cars with water up to their wheels"]
    assert meta.sky == "low grey rain clouds"
    assert (meta.time_of_day, meta.season, meta.camera) == ("night", "summer", "zoom-in")
    assert (meta.lighting, meta.mood, meta.motion) == (base.lighting, base.mood, base.motion)
    assert (meta.regions, meta.keywords) == (base.regions, base.keywords)
    report = gen.last_report
    assert report["form"] == "json" and report["problem"] is None
    assert set(report["filled"]) == {"lighting", "mood", "motion"}
    assert any("repeated sentence" in c for c in report["cleanups"])
    assert any("stray trailing" in c for c in report["cleanups"])
    assert report["raw_text"] == ANSWER and report["seed"] == 3
    assert "disaster: flood" in report["keywords"] and "area: Seoul" in report["keywords"]
    assert f"time: {base.time_of_day}" in report["keywords"]
    assert report["seconds"] >= 0


def one_line(err: BaseException) -> str:
    text = str(err)
    assert text and "\n" not in text
    return text


# ------------------------------------------------------------------------------------------------------
# Local model
# ------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def local(tiny_llama):
    return LocalLLMGenerator(tiny_llama, max_new_tokens=8)


@pytest.fixture(scope="module")
def lora_adapter(tiny_llama, tmp_path_factory):
    """A LoRA adapter for the tiny Llama whose B matrices are non-zero, so that it changes the output."""
    import torch
    peft = pytest.importorskip("peft")
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_llama, local_files_only=True)
    peft_model = peft.get_peft_model(model, peft.LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:
                param.copy_(torch.randn(param.shape, generator=gen))
    out = tmp_path_factory.mktemp("lora")
    peft_model.save_pretrained(out)
    return out


@needs_models
def test_availability():
    usable, reason = LocalLLMGenerator.availability()
    assert usable and reason
    assert OpenAIGenerator.availability()[0]
    assert (LocalLLMGenerator.name, OpenAIGenerator.name) == ("llm", "openai")


@needs_models
def test_local_unusable_answer(local, monkeypatch):
    monkeypatch.setattr(local, "max_new_tokens", 1)          # one token cannot be a scene
    with pytest.raises(UnusableOutput) as caught:
        local.generate(FLOOD, seed=0)
    assert "--fallback template" in one_line(caught.value)
    report = caught.value.report
    assert report == local.last_report
    assert report["backend"] == "llm" and report["model"] == str(local.model_path)
    assert report["adapter"] is None and report["device"] == "cpu" and report["dtype"] == "float32"
    assert report["prompt_form"] == "chat" and report["new_tokens"] == 1
    assert report["problem"].startswith("no usable scene description")
    assert "disaster: flood" in report["keywords"]
    assert isinstance(report["raw_text"], str) and report["prompt_tokens"] > 20
    assert isinstance(caught.value, InputError)


@needs_models
def test_local_success_path(local, monkeypatch):
    asked = []

    def answer(keywords, seed):
        asked.append((keywords, seed))
        return ANSWER

    monkeypatch.setattr(local, "_complete", answer)
    meta = local.generate(FLOOD, seed=3)
    check_metadata(meta, local)
    assert asked == [(local.last_report["keywords"], 3)]
    assert local.last_report["model"] == str(local.model_path)


@needs_models
def test_local_deterministic_per_seed(local):
    def raw(seed):
        try:
            local.generate(FLOOD, seed=seed)
        except UnusableOutput:
            pass
        return local.last_report["raw_text"]

    first = raw(11)
    assert raw(11) == first
    assert local.last_report["new_tokens"] >= 1
    assert len({raw(s) for s in (1, 2, 3, 4)}) > 1


@needs_models
def test_local_greedy_and_long_keywords(local, monkeypatch):
    """Temperature 0 decodes greedily (seed-independent); a context too short for the request shortens
    the keyword line instead of failing."""
    monkeypatch.setattr(local, "temperature", 0.0)
    texts = set()
    for seed in (1, 2):
        try:
            local.generate(FLOOD, seed=seed)
        except UnusableOutput:
            pass
        texts.add(local.last_report["raw_text"])
    assert len(texts) == 1
    monkeypatch.setattr(local, "max_positions", 80)
    long_alert = alert("flood", event="Flood Warning " * 40, areas=[Area(description="Seoul")])
    try:
        local.generate(long_alert, seed=1)
    except UnusableOutput:
        pass
    report = local.last_report
    assert report["prompt_tokens"] + report["new_tokens"] <= 80
    assert report["keywords"].startswith("disaster: flood")
    assert len(report["keywords"]) < len(report["keywords_shortened_from"])


@needs_models
def test_local_plain_prompt_without_chat_template(tmp_path):
    from fixtures.tiny_models import make_tiny_llama

    path = make_tiny_llama(tmp_path / "plain", chat_template=False)
    gen = LocalLLMGenerator(path, max_new_tokens=2)
    try:
        gen.generate(FLOOD, seed=0)
    except UnusableOutput:
        pass
    assert gen.last_report["prompt_form"] == "plain" and gen.last_report["new_tokens"] >= 1


@needs_models
def test_local_with_adapter(local, tiny_llama, lora_adapter):
    tuned = LocalLLMGenerator(tiny_llama, adapter=lora_adapter, max_new_tokens=8, temperature=0)
    base = LocalLLMGenerator(tiny_llama, max_new_tokens=8, temperature=0)
    texts = []
    for gen in (base, tuned):
        try:
            gen.generate(FLOOD, seed=5)
        except UnusableOutput:
            pass
        texts.append(gen.last_report["raw_text"])
    assert texts[0] != texts[1]
    assert tuned.last_report["adapter"] == str(lora_adapter)
    assert type(tuned.model).__name__.startswith("Peft")


@needs_models
def test_local_missing_folders(tiny_llama, tmp_path):
    with pytest.raises(BackendUnavailable, match="no such folder") as caught:
        LocalLLMGenerator(tmp_path / "nowhere")
    assert "--llm" in one_line(caught.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(BackendUnavailable, match="not a model folder.*config.json"):
        LocalLLMGenerator(tmp_path / "empty")
    (tmp_path / "file.bin").write_bytes(b"x")
    with pytest.raises(BackendUnavailable, match="is a file"):
        LocalLLMGenerator(tmp_path / "file.bin")
    with pytest.raises(BackendUnavailable, match="--adapter: no such folder"):
        LocalLLMGenerator(tiny_llama, adapter=tmp_path / "no-adapter")
    with pytest.raises(BackendUnavailable, match="--adapter.*adapter_config.json"):
        LocalLLMGenerator(tiny_llama, adapter=tmp_path / "empty")


@needs_models
def test_local_broken_model_folder(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama"}))
    with pytest.raises(BackendUnavailable, match="cannot load") as caught:
        LocalLLMGenerator(tmp_path)
    one_line(caught.value)


@pytest.fixture(scope="module")
def foreign_adapter(tmp_path_factory):
    """A LoRA adapter made for a Llama of another hidden size, its base saved beside it."""
    import torch
    peft = pytest.importorskip("peft")
    from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM

    root = tmp_path_factory.mktemp("foreign")
    config = LlamaConfig(vocab_size=400, hidden_size=48, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256)
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(root / "base")
    model = AutoModelForCausalLM.from_pretrained(root / "base", local_files_only=True)
    peft.get_peft_model(model, peft.LoraConfig(r=4, target_modules=["q_proj", "v_proj"])).save_pretrained(root / "lora")
    return root / "lora"


@needs_models
def test_adapter_for_another_base(tiny_llama, foreign_adapter, tmp_path):
    with pytest.raises(BackendUnavailable, match="made for another base model.*hidden size 48") as caught:
        LocalLLMGenerator(tiny_llama, adapter=foreign_adapter)
    one_line(caught.value)
    # without a readable base folder to compare, the failed load itself is reported on one line
    moved = tmp_path / "lora"
    moved.mkdir()
    for f in foreign_adapter.iterdir():
        (moved / f.name).write_bytes(f.read_bytes())
    cfg = json.loads((moved / "adapter_config.json").read_text())
    cfg["base_model_name_or_path"] = "some/other-model"
    (moved / "adapter_config.json").write_text(json.dumps(cfg))
    with pytest.raises(BackendUnavailable, match="does not fit the model") as caught:
        LocalLLMGenerator(tiny_llama, adapter=moved)
    one_line(caught.value)


@needs_models
def test_bad_sampling_options(tiny_llama):
    with pytest.raises(InputError, match="temperature"):
        LocalLLMGenerator(tiny_llama, temperature=-1)
    with pytest.raises(InputError, match="top_p"):
        OpenAIGenerator("http://127.0.0.1:9", top_p=0)


# ------------------------------------------------------------------------------------------------------
# OpenAI-compatible server
# ------------------------------------------------------------------------------------------------------
class FakeServer:
    """What the fake server answers (``mode``) and what it was asked (``requests``)."""

    def __init__(self):
        self.mode = "ok"
        self.content = ANSWER
        self.models = ["tiny-chat", "other"]
        self.requests: list[dict] = []


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _send(self, code: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, code: int, obj) -> None:
        self._send(code, json.dumps(obj).encode())

    def do_GET(self):
        fake = self.server.fake
        fake.requests.append({"method": "GET", "path": self.path, "headers": dict(self.headers)})
        if self.path == "/v1/models":
            self._json(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in fake.models]})
        else:
            self._json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self):
        fake = self.server.fake
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        fake.requests.append({"method": "POST", "path": self.path, "headers": dict(self.headers), "body": body})
        if self.path != "/v1/chat/completions":
            return self._json(404, {"error": {"message": f"no route {self.path}"}})
        if fake.mode == "error":
            return self._json(500, {"error": {"message": "CUDA out of memory.\nTried to allocate 2 GiB",
                                              "type": "server_error"}})
        if fake.mode == "slow":
            time.sleep(1.5)
        if fake.mode == "garbage":
            return self._send(200, b"<html>502 Bad Gateway</html>", "text/html")
        if fake.mode == "nochoices":
            return self._json(200, {"object": "chat.completion", "choices": []})
        self._json(200, {"id": "cmpl-1", "object": "chat.completion", "model": body["model"],
                         "choices": [{"index": 0, "finish_reason": "stop",
                                      "message": {"role": "assistant", "content": fake.content}}],
                         "usage": {"prompt_tokens": 120, "completion_tokens": 64, "total_tokens": 184}})


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass                                        # a client that gave up (timeout test) is fine


@pytest.fixture
def server():
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    httpd.fake = FakeServer()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    httpd.fake.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield httpd.fake
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("given, base", [
    ("http://host:8000", "http://host:8000/v1"),
    ("http://host:8000/", "http://host:8000/v1"),
    ("http://host:8000/v1", "http://host:8000/v1"),
    ("https://host/v1/", "https://host/v1"),
    ("http://host:8000/v1/chat/completions", "http://host:8000/v1"),
    ("http://host/proxy/llm", "http://host/proxy/llm/v1"),
    ("HTTP://Host:11434", "http://Host:11434/v1"),
])
def test_api_base(given, base):
    assert api_base(given) == base


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://host/v1", "host:8000", "http://", "/models/x"])
def test_non_http_url_refused(url):
    with pytest.raises(InputError, match="http:// or https://"):
        OpenAIGenerator(url)


@pytest.mark.parametrize("suffix", ["", "/v1", "/v1/"])
def test_openai_success(server, suffix):
    gen = OpenAIGenerator(server.url + suffix, api_key="sekrit", temperature=0.2, max_tokens=99)
    meta = gen.generate(FLOOD, seed=3)
    check_metadata(meta, gen)
    get, post = server.requests
    assert (get["method"], get["path"]) == ("GET", "/v1/models")      # model discovery
    assert post["path"] == "/v1/chat/completions"
    body = post["body"]
    keywords = gen.last_report["keywords"]
    assert body["messages"] == build_messages(keywords)
    assert keywords in body["messages"][-1]["content"]
    assert (body["model"], body["seed"], body["max_tokens"]) == ("tiny-chat", 3, 99)
    assert (body["temperature"], body["top_p"]) == (0.2, 0.9)
    assert post["headers"]["Authorization"] == "Bearer sekrit"
    report = gen.last_report
    assert report["backend"] == "openai" and report["url"] == server.url + "/v1"
    assert (report["model"], report["new_tokens"], report["finish_reason"]) == ("tiny-chat", 64, "stop")
    assert "sekrit" not in json.dumps(report)
    gen.generate(FLOOD, seed=4)                                       # the model is discovered once
    assert [r["method"] for r in server.requests] == ["GET", "POST", "POST"]
    assert server.requests[-1]["body"]["seed"] == 4


def test_openai_named_model_and_env_key(server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("CINEALERT_LLM_API_KEY", "from-env")
    gen = OpenAIGenerator(server.url, model="other")
    gen.generate(FLOOD, seed=1)
    (post,) = server.requests
    assert post["body"]["model"] == "other" and post["headers"]["Authorization"] == "Bearer from-env"
    monkeypatch.delenv("CINEALERT_LLM_API_KEY")
    OpenAIGenerator(server.url, model="other").generate(FLOOD, seed=1)
    assert "Authorization" not in server.requests[-1]["headers"]


def test_openai_no_models(server):
    server.models = []
    with pytest.raises(BackendUnavailable, match="lists no models"):
        OpenAIGenerator(server.url).generate(FLOOD, seed=0)


def test_openai_server_error(server):
    server.mode = "error"
    with pytest.raises(BackendUnavailable, match="HTTP 500: CUDA out of memory") as caught:
        OpenAIGenerator(server.url, model="m").generate(FLOOD, seed=0)
    one_line(caught.value)
    with pytest.raises(BackendUnavailable, match="HTTP 404: no route"):
        OpenAIGenerator(server.url + "/wrong", model="m").generate(FLOOD, seed=0)


def test_openai_timeout(server):
    server.mode = "slow"
    started = time.perf_counter()
    with pytest.raises(BackendUnavailable, match=r"did not answer within 0.5 s"):
        OpenAIGenerator(server.url, model="m", timeout=0.5).generate(FLOOD, seed=0)
    assert time.perf_counter() - started < 1.4


def test_openai_connection_refused():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(BackendUnavailable, match=f"cannot reach the LLM server at http://127.0.0.1:{port}/v1"):
        OpenAIGenerator(f"http://127.0.0.1:{port}", model="m", timeout=2).generate(FLOOD, seed=0)


@pytest.mark.parametrize("mode, message", [("garbage", "did not answer with JSON"),
                                           ("nochoices", r"no choices\[0\]\.message\.content")])
def test_openai_malformed(server, mode, message):
    server.mode = mode
    with pytest.raises(BackendUnavailable, match=message) as caught:
        OpenAIGenerator(server.url, model="m").generate(FLOOD, seed=0)
    one_line(caught.value)


def test_openai_unusable_content(server):
    server.content = "Sure! 0"
    gen = OpenAIGenerator(server.url, model="m")
    with pytest.raises(UnusableOutput) as caught:
        gen.generate(FLOOD, seed=2)
    one_line(caught.value)
    assert caught.value.report["raw_text"] == "Sure! 0" and caught.value.report["problem"]
    assert gen.last_report == caught.value.report and gen.last_report["backend"] == "openai"


# ------------------------------------------------------------------------------------------------------
@needs_models
def test_create_generator(tiny_llama, server):
    gen = create_generator(server.url, model_name="tiny-chat", timeout=5, device="cpu", max_new_tokens=50)
    assert isinstance(gen, OpenAIGenerator) and gen.model == "tiny-chat" and gen.max_tokens == 50
    assert gen.timeout == 5
    with pytest.raises(InputError, match="--adapter applies to a local --llm folder"):
        create_generator(server.url, adapter="some/lora")
    with pytest.raises(InputError, match="neither a local model folder"):
        create_generator("s3://bucket/model")
    local = create_generator(str(tiny_llama), max_new_tokens=4, temperature=0)
    assert isinstance(local, LocalLLMGenerator) and local.max_new_tokens == 4 and local.temperature == 0
