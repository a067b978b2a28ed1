"""Static TensorRT 10.x compatibility check of exported ONNX graphs (runs anywhere: needs only `onnx`).

Checks, per graph: default-domain opset <= 17 (at opset 20 TensorRT turns GridSample bilinear into nearest);
every operator in the ONNX-TensorRT 10.x parser's supported list; no tensor of a dtype TensorRT cannot hold
(float64, complex, string, unsigned 16/32/64-bit; INT64 is accepted: TensorRT 10 takes INT64 I/O and
index/shape ops); GridSample mode "bilinear"; every declared dynamic axis really symbolic in the graph and
covered by a valid min <= opt <= max profile in the manifest, and no undeclared symbolic axis.
`python -m training.trt_compat ENGINE_DIR` prints the report.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geotext_ros.runtime.errors import BackendUnavailableError, GraphLoadError
from geotext_ros.runtime.graph_spec import GRAPHS, MANIFEST_NAME, OPSET

MAX_OPSET = OPSET

# Operators of the ONNX-TensorRT parser shipped with TensorRT 10.x (onnx-tensorrt docs/operators.md, 10.x
# branches). Deliberately conservative: ops only recent 10.x releases parse are left out.
TRT10_OPS = frozenset("""
Abs Acos Acosh Add And ArgMax ArgMin Asin Asinh Atan Atanh AveragePool BatchNormalization Cast CastLike Ceil Celu
Clip Concat Constant ConstantOfShape Conv ConvTranspose Cos Cosh CumSum DepthToSpace DequantizeLinear Div Dropout
Einsum Elu Equal Erf Exp Expand EyeLike Flatten Floor Gather GatherElements GatherND Gelu Gemm GlobalAveragePool
GlobalLpPool GlobalMaxPool Greater GreaterOrEqual GridSample GroupNormalization GRU HardSigmoid HardSwish Hardmax
Identity If InstanceNormalization IsInf IsNaN LayerNormalization LeakyRelu Less LessOrEqual Log LogSoftmax Loop
LpNormalization LpPool LRN LSTM MatMul Max MaxPool Mean MeanVarianceNormalization Min Mish Mod Mul Neg
NonMaxSuppression NonZero Not OneHot Or Pad PRelu Pow QuantizeLinear RandomNormal RandomNormalLike RandomUniform
RandomUniformLike Range Reciprocal ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMax ReduceMean ReduceMin
ReduceProd ReduceSum ReduceSumSquare Relu Reshape Resize ReverseSequence RNN RoiAlign Round Scan ScatterElements
ScatterND Selu Shape Shrink Sigmoid Sign Sin Sinh Size Slice Softmax Softplus Softsign SpaceToDepth Split Sqrt
Squeeze Sub Sum Tan Tanh ThresholdedRelu Tile TopK Transpose Trilu Unsqueeze Where Xor
""".split())

# TensorProto.DataType values TensorRT has no type for
BAD_DTYPES = {11: "float64", 14: "complex64", 15: "complex128", 8: "string", 4: "uint16", 12: "uint32",
              13: "uint64"}


@dataclass
class Issue:
    graph: str
    message: str

    def __str__(self) -> str:
        return f"{self.graph}: {self.message}"


@dataclass
class CompatReport:
    issues: list[Issue] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    ops: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.issues

    def summary(self) -> str:
        head = f"TensorRT 10.x static check of {len(self.checked)} graph(s): " + ("OK" if self.ok else "FAILED")
        return "\n".join([head] + [f"  {i}" for i in self.issues])


def _onnx() -> Any:
    try:
        import onnx
    except ImportError as e:
        raise BackendUnavailableError("the TensorRT compatibility check needs the 'onnx' package "
                                      "(pip install onnx, or geotext_ros[export])") from e
    return onnx


def check_model(model: Any, name: str, profiles: dict[str, list[int]] | None = None) -> tuple[list[Issue], list[str]]:
    """Issues of one loaded onnx.ModelProto, and the sorted operator types it uses."""
    onnx = _onnx()
    issues: list[Issue] = []
    opset = {o.domain or "ai.onnx": o.version for o in model.opset_import}
    if opset.get("ai.onnx", 0) > MAX_OPSET:
        issues.append(Issue(name, f"opset {opset['ai.onnx']} > {MAX_OPSET}: TensorRT would run GridSample "
                                  f"bilinear as nearest; export with opset_version={MAX_OPSET}"))
    for domain in opset:
        if domain not in ("ai.onnx", "ai.onnx.ml"):
            issues.append(Issue(name, f"custom operator domain {domain!r} needs a TensorRT plugin"))
    nodes = list(_all_nodes(model.graph))
    ops = sorted({n.op_type for n in nodes})
    for node in nodes:
        if node.domain not in ("", "ai.onnx"):
            issues.append(Issue(name, f"node {node.name!r} op {node.domain}::{node.op_type} is not a standard op"))
        elif node.op_type not in TRT10_OPS:
            issues.append(Issue(name, f"node {node.name!r}: operator {node.op_type} is not in TensorRT 10.x's "
                                      "ONNX parser support list"))
        issues.extend(_node_attr_issues(name, node, onnx))
    issues.extend(_dtype_issues(name, model, onnx))
    if profiles is not None and name in GRAPHS:
        issues.extend(_shape_issues(name, model, profiles))
    return issues, ops


def _all_nodes(graph: Any):
    for node in graph.node:
        yield node
        for attr in node.attribute:  # If/Loop/Scan bodies
            if attr.g is not None and attr.g.node:
                yield from _all_nodes(attr.g)
            for sub in attr.graphs:
                yield from _all_nodes(sub)


def _node_attr_issues(name: str, node: Any, onnx: Any) -> list[Issue]:
    out = []
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    if node.op_type == "GridSample":
        mode = attrs.get("mode", b"bilinear")
        mode = mode.decode() if isinstance(mode, bytes) else str(mode)
        if mode != "bilinear":
            out.append(Issue(name, f"GridSample {node.name!r} mode {mode!r}: ROI Align needs 'bilinear' "
                                   "(opset <= 19 naming); re-export at opset 17"))
    if node.op_type == "Cast" and attrs.get("to") in BAD_DTYPES:
        out.append(Issue(name, f"Cast {node.name!r} to {BAD_DTYPES[attrs['to']]}: TensorRT has no such type"))
    return out


def _dtype_issues(name: str, model: Any, onnx: Any) -> list[Issue]:
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception:  # inference is a bonus: without it the declared I/O and initializers are still checked
        inferred = model
    g = inferred.graph
    typed = [(v.name, v.type.tensor_type.elem_type) for v in list(g.input) + list(g.output) + list(g.value_info)]
    typed += [(t.name, t.data_type) for t in g.initializer]
    return [Issue(name, f"tensor {tname!r} has dtype {BAD_DTYPES[dt]}, which TensorRT does not support")
            for tname, dt in typed if dt in BAD_DTYPES]


def _shape_issues(name: str, model: Any, profiles: dict[str, list[int]]) -> list[Issue]:
    spec = GRAPHS[name]
    out: list[Issue] = []
    for symbol in {s for axes in spec.dynamic.values() for s in axes.values()}:
        prof = profiles.get(symbol)
        if prof is None or len(prof) != 3 or not 1 <= prof[0] <= prof[1] <= prof[2]:
            out.append(Issue(name, f"profile for dynamic axis {symbol!r} is {prof}; need [min, opt, max] with "
                                   "1 <= min <= opt <= max in the manifest's 'profiles'"))
    for value in list(model.graph.input) + list(model.graph.output):
        declared = spec.dynamic.get(value.name, {})
        dims = value.type.tensor_type.shape.dim
        for axis, dim in enumerate(dims):
            symbolic = bool(dim.dim_param) or not dim.HasField("dim_value")
            if axis in declared and not symbolic:
                out.append(Issue(name, f"{value.name} axis {axis} is fixed at {dim.dim_value} but declared dynamic "
                                       f"({declared[axis]}); the export specialized it"))
            elif symbolic and axis not in declared and value.name in spec.inputs:
                out.append(Issue(name, f"input {value.name} axis {axis} is dynamic ({dim.dim_param!r}) but has no "
                                       "optimization profile"))
    names = {v.name for v in model.graph.input}
    missing = [n for n in spec.inputs if n not in names]
    if missing:
        out.append(Issue(name, f"inputs {missing} missing (graph has {sorted(names)})"))
    return out


def check_engine_dir(engine_dir: str | Path, manifest: dict | None = None) -> CompatReport:
    """Check every graph listed in <engine_dir>/manifest.json (fp32 graphs; int8 ones are CPU-only)."""
    onnx = _onnx()
    engine_dir = Path(engine_dir)
    if manifest is None:
        manifest = json.loads((engine_dir / MANIFEST_NAME).read_text())
    report = CompatReport()
    for name, entry in sorted(manifest["graphs"].items()):
        path = engine_dir / entry["file"]
        try:
            model = onnx.load(str(path))
        except Exception as e:
            raise GraphLoadError(f"cannot load {path} for the TensorRT check: {e}; re-export") from e
        issues, ops = check_model(model, name, manifest.get("profiles"))
        report.issues.extend(issues)
        report.ops[name] = ops
        report.checked.append(name)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("engine_dir")
    args = parser.parse_args(argv)
    report = check_engine_dir(args.engine_dir)
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
