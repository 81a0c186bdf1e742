"""What the GPU box can say about a chat model: its VRAM need, the free VRAM, offload.

A 7B q4 model that does not fit in VRAM still runs: Ollama puts some layers on the
CPU and answers several times slower (measured: 24 instead of 245 tokens/s), without
an error. So tuirag estimates the need before loading (weights + KV cache for the
chosen context, from /api/show's model_info), compares it with the free VRAM (NVML,
through the optional nvidia-ml-py), and says so when /api/ps shows part of the model
on the CPU.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tuirag.text import human_bytes

# CUDA context and compute buffers beside weights and KV cache (~0.2 GB of compute
# buffer with FlashAttention for a 7B model, ~0.3 GB of CUDA context)
RUNTIME_OVERHEAD = 500_000_000
FULL_SHARE = 0.995  # /api/ps rounds; above this the model counts as all on the GPU
# bytes a KV cache value takes per OLLAMA_KV_CACHE_TYPE (q8_0/q4_0: 32 values in 34/18 bytes)
KV_BYTES = {"f16": 2.0, "q8_0": 34 / 32, "q4_0": 18 / 32}


@dataclass(frozen=True, slots=True)
class ModelShape:
    """What sizes a model's KV cache, from /api/show's model_info (None: not given)."""

    context_length: int | None
    layers: int | None = None
    kv_heads: int | None = None
    head_dim: int | None = None

    def kv_cache_bytes(self, num_ctx: int, cache_type: str = "f16") -> int | None:
        """layers × KV heads × head dim × 2 (K and V) × bytes per value × context."""
        if not (self.layers and self.kv_heads and self.head_dim):
            return None
        values = self.layers * self.kv_heads * self.head_dim * 2 * num_ctx
        return round(values * KV_BYTES.get(cache_type, 2.0))


def shape_from_info(info: Mapping[str, Any]) -> ModelShape:
    """`<architecture>.block_count`, `.attention.head_count_kv`, … from model_info."""
    arch = info.get("general.architecture")

    def value(key: str) -> int | None:
        found = info.get(f"{arch}.{key}") if arch else None
        if found is None:  # some GGUFs name the architecture differently in the keys
            found = next((v for k, v in info.items() if k.endswith(f".{key}")), None)
        return int(found) if isinstance(found, int | float) and found > 0 else None

    heads = value("attention.head_count")
    width = value("embedding_length")
    head_dim = value("attention.key_length") or (width // heads if width and heads else None)
    return ModelShape(
        context_length=value("context_length"),
        layers=value("block_count"),
        kv_heads=value("attention.head_count_kv") or heads,
        head_dim=head_dim,
    )


def vram_needed(
    file_size: int, shape: ModelShape, num_ctx: int, cache_type: str = "f16"
) -> int | None:
    """Estimated VRAM to hold the whole model with a num_ctx window (None: unknown shape)."""
    kv = shape.kv_cache_bytes(num_ctx, cache_type)
    return None if kv is None else file_size + kv + RUNTIME_OVERHEAD


@dataclass(frozen=True, slots=True)
class GpuMemory:
    """What NVML says about the NVIDIA GPUs here, summed over them."""

    names: list[str]
    free: int
    total: int

    @property
    def used(self) -> int:
        return self.total - self.free


def gpu_memory() -> GpuMemory | None:
    """NVML's view of the GPUs, or None without nvidia-ml-py, a driver or a GPU."""
    try:
        import pynvml  # nvidia-ml-py: pip install 'tuirag[nvml]'
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
    except Exception:  # no NVIDIA driver (NVMLError_LibraryNotFound, …)
        return None
    try:
        handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
        if not handles:
            return None
        memory = [pynvml.nvmlDeviceGetMemoryInfo(h) for h in handles]
        names = [str(pynvml.nvmlDeviceGetName(h)) for h in handles]
        return GpuMemory(names, sum(int(m.free) for m in memory), sum(int(m.total) for m in memory))
    except Exception:
        return None
    finally:
        pynvml.nvmlShutdown()


def free_vram() -> int | None:
    """Free bytes of VRAM (all GPUs), or None when unknown."""
    memory = gpu_memory()
    return None if memory is None else memory.free


def gpu_share(size: int, size_vram: int) -> float:
    """The part of a loaded model in VRAM, 0..1 (/api/ps size and size_vram)."""
    return min(size_vram / size, 1.0) if size > 0 else 0.0


def offload_warning(name: str, share: float) -> str:
    """One line when part of a loaded model is on the CPU (share: its part in VRAM), else ''."""
    if share >= FULL_SHARE:
        return ""
    where = "on the CPU only" if share == 0 else f"{share:.0%} on GPU"
    return (
        f"model {name} {where}: answers will be several times slower; "
        "lower answer.source_tokens or ollama.max_ctx, or pick a smaller model"
    )


def fits(needed: int | None, free: int | None) -> bool | None:
    """Whether an estimated need fits the free VRAM; None when either is unknown."""
    return None if needed is None or free is None else needed <= free


def fit_note(needed: int | None, free: int | None) -> str:
    """Whether an estimated need fits the free VRAM, in words."""
    if needed is None:
        return "size unknown"
    if free is None:
        return "free VRAM unknown"
    if fits(needed, free):
        return f"fits ({human_bytes(free)} free)"
    return f"does not fit ({human_bytes(free)} free): part would run on the CPU"
