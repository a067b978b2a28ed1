"""Optional int8 dynamic quantization of the ONNX graphs for the CPU (onnxruntime) backend."""
from __future__ import annotations

import logging
from pathlib import Path

from geotext_ros.runtime.errors import BackendUnavailableError

log = logging.getLogger(__name__)

# Only weight-heavy ops: quantizing the ROI Align / GridSample path would cost accuracy for no speed.
QUANT_OPS = ["MatMul", "Gemm"]


def quantize_graph(src: Path, dst: Path) -> Path:
    """Write dst = src with int8 weights (per-channel) for MatMul/Gemm, activations quantized at run time."""
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as e:
        raise BackendUnavailableError("int8 quantization needs 'onnxruntime' (pip install onnxruntime)") from e
    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=QUANT_OPS)
    log.info("quantized %s -> %s (%.1f -> %.1f MB)", src.name, dst.name, src.stat().st_size / 1e6,
             dst.stat().st_size / 1e6)
    return dst
