"""Scene metadata written by a language model: a local Hugging Face model, or an OpenAI-compatible server.

Both backends ask the same question (:mod:`cinealert.prompting.llm_format`: the alert's keyword line in a
system + user conversation) and read the answer back the same way (:func:`parse_output`). The template
writer (:class:`TemplateGenerator`, same alert and seed) supplies what the model is not asked for or leaves
out: the time of day and season in the keyword line, and any missing field of the answer.

* :class:`LocalLLMGenerator` loads a local model folder (``--llm PATH``), optionally with a LoRA adapter
  made by ``cinealert finetune`` (``--adapter PATH``). Nothing is downloaded. Sampling is seeded: the same
  alert, seed and model always give the same text.
* :class:`OpenAIGenerator` talks to a server that speaks the OpenAI chat-completions protocol (vLLM,
  llama.cpp's server, Ollama's ``/v1``) over plain HTTP, with the standard library only.

An answer that yields no usable scene raises :class:`UnusableOutput` (exit status 2 unless the caller falls
back to the template). After every call, ``last_report`` holds what happened, for ``report.json``.
"""
from __future__ import annotations

import json
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from cinealert import hf
from cinealert.errors import BackendUnavailable, InputError
from cinealert.prompting.llm_format import alert_keywords, build_messages, parse_output, prompt_token_ids
from cinealert.prompting.metadata import SceneMetadata
from cinealert.prompting.template import TemplateGenerator

#: Raw answers kept in ``last_report`` are cut to this many characters.
REPORT_TEXT_CHARS = 2000

#: Server responses longer than this are refused (a chat completion is a few kilobytes).
MAX_RESPONSE_BYTES = 8 * 1024 * 1024

#: Environment variables that may hold the server's API key, in the order they are tried.
API_KEY_VARIABLES = ("CINEALERT_LLM_API_KEY", "OPENAI_API_KEY")


class UnusableOutput(InputError):
    """The model answered, but no usable scene metadata could be read from the answer.

    ``report`` is the generator's ``last_report`` for that call (the raw text, the problem ...).
    """

    def __init__(self, message: str, *, report: dict | None = None):
        super().__init__(message)
        self.report = dict(report or {})


def _one_line(text: object, limit: int = 300) -> str:
    """``text`` on one line, whitespace collapsed, cut to ``limit`` characters."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _check_sampling(temperature: float, top_p: float, max_tokens: int) -> None:
    if not temperature >= 0:
        raise InputError(f"temperature must be 0 (greedy) or more, got {temperature!r}")
    if not 0 < top_p <= 1:
        raise InputError(f"top_p must be in (0, 1], got {top_p!r}")
    if int(max_tokens) < 1:
        raise InputError(f"the answer needs at least 1 new token, got {max_tokens!r}")


class _LLMGenerator:
    """What both backends share: the keyword line, the parse, the report and the unusable-answer error.

    A subclass implements :meth:`_complete` (keyword line and seed in, the model's raw answer out) and may
    put backend details for the report in ``self._details`` while it runs.
    """

    name = "llm"
    summary = ""

    def __init__(self, *, temperature: float, top_p: float, max_tokens: int, defaults=None):
        _check_sampling(temperature, top_p, max_tokens)
        self.temperature = float(temperature)
        self.top_p = float(top_p)
        self.defaults = defaults if defaults is not None else TemplateGenerator()
        self.last_report: dict = {}
        self._details: dict = {}

    def _describe(self) -> dict:
        """Fixed facts about this generator for the report (backend, model, device ...)."""
        return {"backend": self.name}

    def _complete(self, keywords: str, seed: int) -> str:
        """The model's raw answer to the request for ``keywords``; deterministic for a given ``seed``."""
        raise NotImplementedError

    def generate(self, alert, *, seed: int = 0) -> SceneMetadata:
        """Scene metadata for ``alert`` written by the model.

        Raises:
            UnusableOutput: the answer holds no usable scene description (``.report`` says why).
            BackendUnavailable: the model cannot be run or reached.
        """
        seed = int(seed)
        base = self.defaults.generate(alert, seed=seed)
        keywords = alert_keywords(alert, base)
        self._details = {"keywords": keywords}
        started = time.perf_counter()
        text = self._complete(keywords, seed)
        seconds = time.perf_counter() - started
        parsed = parse_output(text, disaster=base.disaster, language=base.language, defaults=base)
        report = {**self._describe(), "seed": seed, "temperature": self.temperature, "top_p": self.top_p,
                  "keywords": keywords, **self._details,
                  "raw_text": text[:REPORT_TEXT_CHARS], "raw_chars": len(text), "form": parsed.form,
                  "cleanups": list(parsed.cleanups), "filled": list(parsed.filled), "problem": parsed.problem,
                  "seconds": round(seconds, 3)}
        self.last_report = report
        if parsed.metadata is None:
            raise UnusableOutput(_one_line(f"the {self.name} metadata model's answer could not be used: "
                                           f"{parsed.problem}; pass --fallback template to use the template "
                                           "writer instead", 500), report=report)
        return parsed.metadata


# ------------------------------------------------------------------------------------------------------
# A local Hugging Face model
# ------------------------------------------------------------------------------------------------------
def _shorten_keywords(keywords: str) -> str | None:
    """A shorter keyword line: the longest value halved, or the last part dropped; None when only the
    disaster is left."""
    parts = keywords.split("; ")
    longest = max(range(len(parts)), key=lambda i: len(parts[i]))
    key, sep, value = parts[longest].partition(": ")
    if len(value) > 16:
        parts[longest] = f"{key}{sep}{value[: len(value) // 2].rstrip()}"
        return "; ".join(parts)
    if len(parts) > 1:
        return "; ".join(parts[:-1])
    return None


def _config_shape(config: dict) -> tuple[str | None, int | None]:
    """A model config's type and hidden size (looking into ``text_config`` for multimodal models)."""
    text = config.get("text_config") if isinstance(config.get("text_config"), dict) else {}
    model_type = config.get("model_type")
    hidden = config.get("hidden_size") or text.get("hidden_size") or config.get("n_embd") or config.get("d_model")
    return model_type, hidden


def _max_positions(config: dict, tokenizer) -> int | None:
    """The longest sequence the model takes (prompt plus answer), when its config or tokenizer says."""
    found = []
    for cfg in (config, config.get("text_config") if isinstance(config.get("text_config"), dict) else {}):
        for key in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
            if isinstance(cfg.get(key), int) and cfg[key] > 0:
                found.append(cfg[key])
    limit = getattr(tokenizer, "model_max_length", None)
    if isinstance(limit, int) and 0 < limit < 1_000_000:
        found.append(limit)
    return min(found) if found else None


class LocalLLMGenerator(_LLMGenerator):
    """A local causal language model (a Hugging Face folder), optionally with a LoRA adapter.

    The model is loaded once, when the generator is made, and serves every :meth:`generate` call.
    """

    name = "llm"
    role = "llm"
    summary = "a local Hugging Face causal LM (--llm FOLDER), optionally with a LoRA adapter (--adapter)"

    @classmethod
    def accepts(cls, path) -> str | None:
        """None when ``path`` holds a causal language model, else why not."""
        from cinealert.models import role_problem
        return role_problem(path, cls.role)

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        problem = hf.missing_package(("torch", "transformers"), load=True)
        if problem is not None:
            return False, problem
        try:
            import peft  # noqa: F401
        except ImportError:
            return True, "torch and transformers load; peft does not, so --adapter cannot be used"
        return True, "torch, transformers and peft load; needs a local model folder (--llm)"

    def __init__(self, model: str | Path, *, adapter: str | Path | None = None, device: str | None = None,
                 dtype: str | None = None, max_new_tokens: int = 320, temperature: float = 0.7,
                 top_p: float = 0.9, defaults=None):
        super().__init__(temperature=temperature, top_p=top_p, max_tokens=max_new_tokens, defaults=defaults)
        self.max_new_tokens = int(max_new_tokens)
        self.model_path = hf.model_dir(model, "--llm")
        self.adapter_path = hf.model_dir(adapter, "--adapter", files=("adapter_config.json",)) \
            if adapter is not None else None
        torch = hf.require("torch", "the local LLM backend")
        transformers = hf.require("transformers", "the local LLM backend")
        self._torch = torch
        self.device = hf.pick_device(device)
        self.dtype = hf.pick_dtype(self.device, dtype)
        config = hf.read_config(self.model_path)
        if self.adapter_path is not None:
            self._check_adapter_base(config)

        tokenizer_dir = self.model_path
        if self.adapter_path is not None and (self.adapter_path / "tokenizer_config.json").is_file():
            tokenizer_dir = self.adapter_path      # fine-tuning may have saved its own (e.g. a chat template)
        hf.quiet_transformers()
        try:
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(tokenizer_dir, local_files_only=True)
        except Exception as err:  # noqa: BLE001 - any load failure is the folder's fault
            raise BackendUnavailable(f"--llm: cannot load the tokenizer in {str(tokenizer_dir)!r}: "
                                     f"{_one_line(err, 200)}") from None
        try:
            net = transformers.AutoModelForCausalLM.from_pretrained(self.model_path, local_files_only=True,
                                                                    dtype=self.dtype)
        except Exception as err:  # noqa: BLE001
            raise BackendUnavailable(f"--llm: cannot load a causal language model from {str(self.model_path)!r}: "
                                     f"{_one_line(err, 200)}") from None
        if self.adapter_path is not None:
            net = self._wrap_adapter(net)
        self.model = net.to(self.device).eval()
        self.max_positions = _max_positions(config, self.tokenizer)
        self.chat = bool(getattr(self.tokenizer, "chat_template", None))
        self._eos = self._eos_ids()

    # -- loading -------------------------------------------------------------------------------------
    def _check_adapter_base(self, config: dict) -> None:
        """Refuse an adapter whose recorded base model is a local folder of another shape."""
        adapter_cfg = hf.read_config(self.adapter_path, "adapter_config.json")
        base = adapter_cfg.get("base_model_name_or_path")
        if not base or not Path(base).expanduser().is_dir():
            return
        theirs = _config_shape(hf.read_config(Path(base).expanduser()))
        ours = _config_shape(config)
        if None not in theirs and None not in ours and theirs != ours:
            raise BackendUnavailable(
                f"--adapter: {str(self.adapter_path)!r} was made for another base model ({base!r}: "
                f"{theirs[0]}, hidden size {theirs[1]}; --llm is {ours[0]}, hidden size {ours[1]})")

    def _wrap_adapter(self, net):
        peft = hf.require("peft", "--adapter")
        try:
            return peft.PeftModel.from_pretrained(net, str(self.adapter_path), is_trainable=False)
        except Exception as err:  # noqa: BLE001 - shape mismatches, missing target modules, bad files
            raise BackendUnavailable(f"--adapter: {str(self.adapter_path)!r} does not fit the model in "
                                     f"{str(self.model_path)!r} (made for another base model?): "
                                     f"{_one_line(err, 200)}") from None

    def _eos_ids(self) -> list[int]:
        ids: list[int] = []
        for source in (getattr(self.model.generation_config, "eos_token_id", None), self.tokenizer.eos_token_id):
            for i in (source if isinstance(source, (list, tuple)) else [source]):
                if isinstance(i, int) and i not in ids:
                    ids.append(i)
        return ids

    def _describe(self) -> dict:
        return {"backend": self.name, "model": str(self.model_path),
                "adapter": str(self.adapter_path) if self.adapter_path is not None else None,
                "device": str(self.device), "dtype": str(self.dtype).replace("torch.", ""),
                "prompt_form": "chat" if self.chat else "plain", "max_new_tokens": self.max_new_tokens}

    # -- generation ----------------------------------------------------------------------------------
    def _encode(self, keywords: str):
        """Token ids (1, n) of the request for ``keywords``."""
        return self._torch.tensor([prompt_token_ids(self.tokenizer, keywords)], dtype=self._torch.long)

    def _fit(self, keywords: str):
        """The request's token ids and the answer budget, within the model's positions.

        The keyword line is shortened until prompt and answer fit; a model too small even for the shortest
        request gets a shorter answer budget and the prompt's last tokens.
        """
        ids = self._encode(keywords)
        budget = self.max_new_tokens
        limit = self.max_positions
        if limit is None:
            return ids, keywords, budget
        while ids.shape[1] + budget > limit:
            shorter = _shorten_keywords(keywords)
            if shorter is None:
                break
            keywords = shorter
            ids = self._encode(keywords)
        if ids.shape[1] + budget > limit:
            budget = max(1, min(budget, max(limit - ids.shape[1], limit // 4)))
            ids = ids[:, -(limit - budget):] if limit > budget else ids[:, -1:]
        return ids, keywords, budget

    def _complete(self, keywords: str, seed: int) -> str:
        torch = self._torch
        ids, used, budget = self._fit(keywords)
        ids = ids.to(self.device)
        options = {"max_new_tokens": budget, "attention_mask": torch.ones_like(ids),
                   "eos_token_id": self._eos or None,
                   "pad_token_id": self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None
                   else (self._eos[0] if self._eos else None)}
        if self.temperature > 0:
            options.update(do_sample=True, temperature=self.temperature, top_p=self.top_p, top_k=0)
        else:
            options.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        devices = [self.device] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices), torch.inference_mode():
            torch.manual_seed(seed % 2**63)
            out = self.model.generate(input_ids=ids, **options)
        new = out[0, ids.shape[1]:]
        self._details.update(keywords=used, prompt_tokens=int(ids.shape[1]), new_tokens=int(new.shape[0]),
                             stopped_at_eos=bool(new.shape[0] and int(new[-1]) in self._eos))
        if used != keywords:
            self._details["keywords_shortened_from"] = keywords
        return self.tokenizer.decode(new, skip_special_tokens=True)


# ------------------------------------------------------------------------------------------------------
# An OpenAI-compatible server
# ------------------------------------------------------------------------------------------------------
def api_base(url: str) -> str:
    """The OpenAI API base (ending in ``/v1``) for the server address ``url``.

    ``http://host:8000``, ``http://host:8000/v1`` and ``http://host:8000/v1/chat/completions`` all give
    ``http://host:8000/v1``; a path that does not end in ``/v1`` gets ``/v1`` appended
    (``http://host/llm`` → ``http://host/llm/v1``). Only http and https are accepted.
    """
    parsed = urllib.parse.urlsplit(str(url).strip())
    if parsed.scheme.lower() not in ("http", "https") or not parsed.netloc:
        raise InputError(f"--llm: {str(url)!r} is not an http:// or https:// server address")
    path = parsed.path.rstrip("/")
    for suffix in ("/chat/completions", "/completions", "/models"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            break
    if not path.endswith("/v1"):
        path += "/v1"
    return urllib.parse.urlunsplit((parsed.scheme.lower(), parsed.netloc, path, "", ""))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are not followed: an API endpoint answers where it was asked."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class OpenAIGenerator(_LLMGenerator):
    """A model behind an OpenAI-compatible chat-completions server (vLLM, llama.cpp server, Ollama /v1).

    The server address may be given with or without the ``/v1`` of its API (see :func:`api_base`). When
    ``model`` is None, the first model the server lists (``GET /v1/models``) is used.
    """

    name = "openai"
    summary = "an OpenAI-compatible chat-completions server (--llm http://HOST:PORT: vLLM, llama.cpp, Ollama)"

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        return True, "standard library HTTP client; needs a server address (--llm http://HOST:PORT)"

    def __init__(self, url: str, *, model: str | None = None, api_key: str | None = None,
                 timeout: float = 60.0, max_tokens: int = 320, temperature: float = 0.7, top_p: float = 0.9,
                 defaults=None):
        super().__init__(temperature=temperature, top_p=top_p, max_tokens=max_tokens, defaults=defaults)
        self.base = api_base(url)
        if not timeout > 0:
            raise InputError(f"the server timeout must be more than 0 seconds, got {timeout!r}")
        self.timeout = float(timeout)
        self.max_tokens = int(max_tokens)
        self.model = model or None
        if api_key is None:
            api_key = next((os.environ[v] for v in API_KEY_VARIABLES if os.environ.get(v)), None)
        self._api_key = api_key
        self._opener = urllib.request.build_opener(_NoRedirect)

    def _describe(self) -> dict:
        return {"backend": self.name, "url": self.base, "model": self.model, "max_tokens": self.max_tokens}

    # -- HTTP ----------------------------------------------------------------------------------------
    def _request(self, path: str, body: dict | None = None) -> dict:
        """The JSON object the server answers to GET (``body`` None) or POST ``body`` at ``path``."""
        url = self.base + path
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                raw = response.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as err:
            raise BackendUnavailable(_one_line(f"the LLM server at {url} answered HTTP {err.code}: "
                                               f"{_server_message(err)}", 400)) from None
        except urllib.error.URLError as err:
            if isinstance(err.reason, TimeoutError):
                raise self._timed_out(url) from None
            raise BackendUnavailable(_one_line(f"cannot reach the LLM server at {url}: {_reason(err.reason)}",
                                               400)) from None
        except TimeoutError:
            raise self._timed_out(url) from None
        except (OSError, ValueError) as err:     # reset connections, bad status lines ...
            raise BackendUnavailable(_one_line(f"cannot talk to the LLM server at {url}: {_reason(err)}",
                                               400)) from None
        if len(raw) > MAX_RESPONSE_BYTES:
            raise BackendUnavailable(f"the LLM server at {url} sent more than {MAX_RESPONSE_BYTES} bytes")
        try:
            answer = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            shown = raw[:80].decode("utf-8", "replace")
            raise BackendUnavailable(_one_line(f"the LLM server at {url} did not answer with JSON "
                                               f"(it sent {shown!r})", 400)) from None
        if not isinstance(answer, dict):
            raise BackendUnavailable(f"the LLM server at {url} answered with a JSON {type(answer).__name__}, "
                                     "not an object")
        return answer

    def _timed_out(self, url: str) -> BackendUnavailable:
        return BackendUnavailable(f"the LLM server at {url} did not answer within {self.timeout:g} s")

    def _model_name(self) -> str:
        if self.model is None:
            listed = self._request("/models").get("data")
            ids = [m.get("id") for m in listed if isinstance(m, dict)] if isinstance(listed, list) else []
            ids = [i for i in ids if isinstance(i, str) and i]
            if not ids:
                raise BackendUnavailable(f"the LLM server at {self.base} lists no models under /models; "
                                         "name the model to use with --llm-model")
            self.model = ids[0]
        return self.model

    def _complete(self, keywords: str, seed: int) -> str:
        model = self._model_name()
        body = {"model": model, "messages": build_messages(keywords), "max_tokens": self.max_tokens,
                "temperature": self.temperature, "top_p": self.top_p, "seed": seed % 2**31, "stream": False}
        answer = self._request("/chat/completions", body)
        try:
            choice = answer["choices"][0]
            content = choice["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise BackendUnavailable(_one_line(f"the LLM server at {self.base} sent no choices[0].message."
                                               f"content (it sent {json.dumps(answer)[:120]!r})", 400)) from None
        if content is None:
            content = ""
        if not isinstance(content, str):
            raise BackendUnavailable(f"the LLM server at {self.base} sent a {type(content).__name__} as the "
                                     "message content, not text")
        usage = answer.get("usage") if isinstance(answer.get("usage"), dict) else {}
        self._details.update(model=model, new_tokens=usage.get("completion_tokens"),
                             prompt_tokens=usage.get("prompt_tokens"),
                             finish_reason=choice.get("finish_reason") if isinstance(choice, dict) else None)
        return content


def _reason(reason: object) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused (is the server running?)"
    if isinstance(reason, socket.gaierror):
        return f"unknown host ({reason.strerror or reason})"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__


def _server_message(err: urllib.error.HTTPError) -> str:
    """The error message an HTTP error response carries (OpenAI's ``{"error": {"message"}}`` and kin)."""
    try:
        raw = err.read(64 * 1024).decode("utf-8", "replace")
    except OSError:
        raw = ""
    try:
        data = json.loads(raw)
    except ValueError:
        return _one_line(raw, 200) or (err.reason or "no message")
    if isinstance(data, dict):
        inner = data.get("error", data.get("detail", data.get("message")))
        if isinstance(inner, dict):
            inner = inner.get("message", inner)
        if inner is not None:
            return _one_line(inner if isinstance(inner, str) else json.dumps(inner), 200)
    return _one_line(raw, 200)


# ------------------------------------------------------------------------------------------------------
def create_generator(llm: str | Path, *, adapter: str | Path | None = None, device: str | None = None,
                     dtype: str | None = None, timeout: float = 60.0, model_name: str | None = None,
                     max_new_tokens: int | None = None, temperature: float | None = None,
                     top_p: float | None = None) -> LocalLLMGenerator | OpenAIGenerator:
    """The generator for ``--llm``: an ``http://`` or ``https://`` address is a server
    (:class:`OpenAIGenerator`; ``model_name`` picks its model, ``device`` and ``dtype`` are ignored),
    anything else a local model folder (:class:`LocalLLMGenerator`; ``timeout`` and ``model_name`` are
    ignored). Options left None keep the backend's defaults."""
    sampling = {k: v for k, v in (("temperature", temperature), ("top_p", top_p)) if v is not None}
    text = str(llm).strip()
    if text.lower().startswith(("http://", "https://")):
        if adapter is not None:
            raise InputError("--adapter applies to a local --llm folder; a server loads its own adapters")
        if max_new_tokens is not None:
            sampling["max_tokens"] = max_new_tokens
        return OpenAIGenerator(text, model=model_name, timeout=timeout, **sampling)
    if "://" in text:
        raise InputError(f"--llm: {text!r} is neither a local model folder nor an http:// or https:// address")
    if max_new_tokens is not None:
        sampling["max_new_tokens"] = max_new_tokens
    return LocalLLMGenerator(llm, adapter=adapter, device=device, dtype=dtype, **sampling)
