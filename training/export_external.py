"""Large ONNX graphs as a graph file plus external weight files of bounded size.

The open_world text graph carries MiniLM's 22 M weights (87 MB), more than a repository should hold in one file.
ONNX's external-data format keeps the graph in <graph>.onnx and its initializers in files beside it
(<graph>.onnx.dataN here, each at most `max_bytes`); ONNX Runtime and TensorRT's parser read them from the
graph's folder (geotext_ros/runtime/trt_engine.py passes the path for that). Small graphs stay one file.
"""
from __future__ import annotations

from pathlib import Path

MAX_DATA_FILE_BYTES = 48_000_000  # under the 50 MB a tracked file may have; MiniLM's word embeddings are 46.9 MB


def split_external_data(path: Path, max_bytes: int = MAX_DATA_FILE_BYTES) -> list[str]:
    """Move the initializers of a graph larger than `max_bytes` into data files of at most `max_bytes` each,
    in graph order; returns their names (none when the graph is small enough as it is)."""
    import onnx
    from onnx.external_data_helper import set_external_data

    if path.stat().st_size <= max_bytes:
        return []
    model = onnx.load(str(path))
    files: list[str] = []
    used = max_bytes  # start a new file on the first tensor
    for tensor in model.graph.initializer:
        size = len(tensor.raw_data)
        if size < 1024:
            continue  # scalars and shapes stay in the graph
        if size > max_bytes:
            raise ValueError(f"{path.name}: initializer {tensor.name!r} is {size} bytes, more than one data file "
                             f"may hold ({max_bytes}); raise max_bytes")
        if used + size > max_bytes:
            files.append(f"{path.name}.data{len(files)}")
            (path.parent / files[-1]).unlink(missing_ok=True)  # onnx appends to an existing file
            used = 0
        set_external_data(tensor, location=files[-1])
        used += size
    onnx.save_model(model, str(path))
    for name in files:
        (path.parent / name).chmod(0o644)  # onnx creates them private; the installed engine is read by any user
    onnx.checker.check_model(str(path))
    return files
