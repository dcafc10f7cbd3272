"""Model-store converters for the face detectors (run once, at fetch time)."""
from __future__ import annotations

import logging
from pathlib import Path

import torch


def convert_blazeface(files: dict[str, Path], out: Path) -> None:
    """BlazeFace .tflite -> ONNX with tflite2onnx (no TensorFlow), checked by loading it in ORT.

    The graphs hold float16 weights behind Dequantize ops; tflite2onnx folds them to float32
    (it warns that float16 is 'not tested': rushes' tests check the converted model's faces).
    The converted graphs take one picture of the model's size; `free_shape` frees the batch and
    the picture size (the networks are fully convolutional), so that a whole pyramid level, or all
    the tiles of a frame, run in one call. `pad_channels_by_conv` makes the residual blocks'
    channel padding a convolution, which ONNX Runtime runs in its blocked layout (same numbers).
    """
    import onnxruntime as ort
    import tflite2onnx

    quiet = logging.getLogger("tflite2onnx")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        for model in ("short", "full"):
            target = out / f"blazeface_{model}.onnx"
            tflite2onnx.convert(str(files[f"blazeface_{model}.tflite"]), str(target))
            pad_channels_by_conv(target)
            free_shape(target)
            ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    finally:
        quiet.setLevel(level)


def pad_channels_by_conv(path: Path) -> None:
    """Rewrite in place each Pad that only adds zero channels (BlazeFace's residual blocks widening
    their skip path) as a 1x1 convolution with identity weights over the first channels.

    The result is the same to float rounding, but a Pad is not one of ONNX Runtime's blocked-layout
    (NCHWc) operators: each one made it reorder the activations out of that layout and back, and
    kept the following Add and Relu from fusing into the convolution: ~8 % of the full-range
    model's time at 1536x864 (measured), more than the identity convolutions cost.
    """
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper, shape_inference

    model = onnx.load(str(path))
    graph = model.graph
    inferred = shape_inference.infer_shapes(model).graph
    channels = {v.name: v.type.tensor_type.shape.dim[1].dim_value for v in (*inferred.value_info, *inferred.input)}
    consts = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    nodes = []
    for node in graph.node:
        pads = consts.get(node.input[1]) if node.op_type == "Pad" and len(node.input) > 1 else None
        rank = len(pads) // 2 if pads is not None else 0
        if pads is None or rank != 4 or pads[rank + 1] <= 0 or np.count_nonzero(pads) != 1 or (
                len(node.input) > 2 and node.input[2] and np.any(consts.get(node.input[2], 1) != 0)):
            nodes.append(node)
            continue
        c, extra = channels[node.input[0]], int(pads[rank + 1])
        weights = np.zeros((c + extra, c, 1, 1), np.float32)
        weights[np.arange(c), np.arange(c), 0, 0] = 1.0
        name = node.name + "/identity"
        graph.initializer.append(numpy_helper.from_array(weights, name))
        nodes.append(helper.make_node("Conv", [node.input[0], name], list(node.output), name=node.name,
                                      kernel_shape=[1, 1]))
    del graph.node[:]
    graph.node.extend(nodes)
    used = {i for node in graph.node for i in node.input}
    for t in [t for t in graph.initializer if t.name not in used]:
        graph.initializer.remove(t)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def free_shape(path: Path) -> None:
    """Rewrite a converted graph in place so that its batch and input size are free.

    tflite2onnx writes the batch of 1 and the size into the graph three ways: the input/output
    shapes (now "batch", "height", "width" and "anchors"), the Reshape target shapes ([1, -1, k]:
    0 now copies the batch through) and the full-range model's Resize sizes ([1, C, H, W]:
    replaced by the equal scales, 2x).
    """
    import numpy as np
    import onnx
    from onnx import numpy_helper, shape_inference

    model = shape_inference.infer_shapes(onnx.load(str(path)))
    graph = model.graph
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in (*graph.value_info, *graph.input, *graph.output)}
    consts = {t.name: t for t in graph.initializer}

    def constant(name: str, value: np.ndarray) -> str:
        if name not in consts:
            consts[name] = numpy_helper.from_array(value, name)
            graph.initializer.append(consts[name])
        return name

    for node in graph.node:
        if node.op_type == "Reshape":
            shape = numpy_helper.to_array(consts[node.input[1]]).astype(np.int64)
            if shape[0] != 1:
                raise ValueError(f"{path.name}: Reshape {node.name} to {shape.tolist()}: batch not first")
            node.input[1] = constant(node.input[1] + "/batch", np.concatenate([[0], shape[1:]]))
        elif node.op_type == "Resize" and len(node.input) == 4 and node.input[3] in consts:
            sizes = numpy_helper.to_array(consts[node.input[3]]).astype(np.float32)
            scales = sizes / np.asarray(shapes[node.input[0]], np.float32)
            node.input[2] = constant(node.input[3] + "/scales", scales)
            del node.input[3]
    used = {i for node in graph.node for i in node.input}
    for t in [t for t in graph.initializer if t.name not in used]:
        graph.initializer.remove(t)
    del graph.value_info[:]  # inferred with batch 1
    for value in (*graph.input, *graph.output):
        value.type.tensor_type.shape.dim[0].dim_param = "batch"
    for value, names in ((graph.input[0], ("height", "width")), *((o, ("anchors",)) for o in graph.output)):
        dims = value.type.tensor_type.shape.dim
        for dim, name in zip(dims[len(dims) - 2:] if len(names) == 2 else dims[1:2], names):
            dim.dim_param = name
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def convert_mtcnn(files: dict[str, Path], out: Path) -> None:
    """facenet-pytorch's P/R/O-Net state dicts, loaded (weights_only) into rushes' modules."""
    from .mtcnn import NETS

    for name, cls in NETS.items():
        state = torch.load(files[f"{name}.pt"], map_location="cpu", weights_only=True)
        net = cls()
        net.load_state_dict(state)  # strict: every tensor named and shaped as expected
        torch.save(net.state_dict(), out / f"{name}.pt")
