"""MTCNN (Zhang et al. 2016) with the weights shipped in facenet-pytorch==2.6.0.

The three networks are rushes' own torch modules with the package's layer names, so its state
dicts load unchanged (torch.load weights_only=True). The cascade follows facenet-pytorch's
detect_face step by step (same pyramid, same 'area' resampling, same thresholds, same NMS
order), with torchvision's batched_nms replaced by a NumPy NMS.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn.functional import interpolate

from .blazeface import Detection


class PNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 10, 3), nn.PReLU(10)
        self.pool1 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv2, self.prelu2 = nn.Conv2d(10, 16, 3), nn.PReLU(16)
        self.conv3, self.prelu3 = nn.Conv2d(16, 32, 3), nn.PReLU(32)
        self.conv4_1, self.conv4_2 = nn.Conv2d(32, 2, 1), nn.Conv2d(32, 4, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.prelu3(self.conv3(self.prelu2(self.conv2(x))))
        return self.conv4_2(x), torch.softmax(self.conv4_1(x), dim=1)


class RNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 28, 3), nn.PReLU(28)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2, self.prelu2 = nn.Conv2d(28, 48, 3), nn.PReLU(48)
        self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv3, self.prelu3 = nn.Conv2d(48, 64, 2), nn.PReLU(64)
        self.dense4, self.prelu4 = nn.Linear(576, 128), nn.PReLU(128)
        self.dense5_1, self.dense5_2 = nn.Linear(128, 2), nn.Linear(128, 4)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.pool2(self.prelu2(self.conv2(x)))
        x = self.prelu3(self.conv3(x)).permute(0, 3, 2, 1).contiguous()
        x = self.prelu4(self.dense4(x.view(x.shape[0], -1)))
        return self.dense5_2(x), torch.softmax(self.dense5_1(x), dim=1)


class ONet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 32, 3), nn.PReLU(32)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2, self.prelu2 = nn.Conv2d(32, 64, 3), nn.PReLU(64)
        self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv3, self.prelu3 = nn.Conv2d(64, 64, 3), nn.PReLU(64)
        self.pool3 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv4, self.prelu4 = nn.Conv2d(64, 128, 2), nn.PReLU(128)
        self.dense5, self.prelu5 = nn.Linear(1152, 256), nn.PReLU(256)
        self.dense6_1, self.dense6_2, self.dense6_3 = nn.Linear(256, 2), nn.Linear(256, 4), nn.Linear(256, 10)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.pool2(self.prelu2(self.conv2(x)))
        x = self.pool3(self.prelu3(self.conv3(x)))
        x = self.prelu4(self.conv4(x)).permute(0, 3, 2, 1).contiguous()
        x = self.prelu5(self.dense5(x.view(x.shape[0], -1)))
        return self.dense6_2(x), self.dense6_3(x), torch.softmax(self.dense6_1(x), dim=1)


NETS = {"pnet": PNet, "rnet": RNet, "onet": ONet}


def load_nets(model_dir: Path, device: str = "cpu") -> dict[str, nn.Module]:
    from ..devices import torch_device

    dev = torch_device(device)
    nets = {}
    for name, cls in NETS.items():
        net = cls()
        net.load_state_dict(torch.load(model_dir / f"{name}.pt", map_location="cpu", weights_only=True))
        nets[name] = net.eval().to(dev)
    return nets


def nms(boxes: np.ndarray, scores: np.ndarray, threshold: float, method: str = "union") -> np.ndarray:
    """Greedy NMS (highest score first); `min` divides by the smaller area (MTCNN's last stage)."""
    if len(boxes) == 0:
        return np.zeros(0, np.int64)
    x0, y0, x1, y1 = boxes.T
    area = (x1 - x0) * (y1 - y0) if method == "union" else (x1 - x0 + 1) * (y1 - y0 + 1)
    plus = 0 if method == "union" else 1
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size:
        i, rest = order[0], order[1:]
        keep.append(i)
        w = np.clip(np.minimum(x1[i], x1[rest]) - np.maximum(x0[i], x0[rest]) + plus, 0, None)
        h = np.clip(np.minimum(y1[i], y1[rest]) - np.maximum(y0[i], y0[rest]) + plus, 0, None)
        inter = w * h
        o = inter / np.minimum(area[i], area[rest]) if method == "min" else inter / (area[i] + area[rest] - inter)
        order = rest[o <= threshold]
    return np.asarray(keep, np.int64)


def _rerec(b: torch.Tensor) -> torch.Tensor:
    h, w = b[:, 3] - b[:, 1], b[:, 2] - b[:, 0]
    side = torch.max(w, h)
    b[:, 0] = b[:, 0] + w * 0.5 - side * 0.5
    b[:, 1] = b[:, 1] + h * 0.5 - side * 0.5
    b[:, 2:4] = b[:, :2] + side.repeat(2, 1).permute(1, 0)
    return b


def _bbreg(b: torch.Tensor, reg: torch.Tensor) -> torch.Tensor:
    w, h = b[:, 2] - b[:, 0] + 1, b[:, 3] - b[:, 1] + 1
    b[:, :4] = torch.stack([b[:, 0] + reg[:, 0] * w, b[:, 1] + reg[:, 1] * h,
                            b[:, 2] + reg[:, 2] * w, b[:, 3] + reg[:, 3] * h]).permute(1, 0)
    return b


def _crops(img: torch.Tensor, boxes: torch.Tensor, size: int) -> torch.Tensor:
    h, w = img.shape[2:4]
    b = boxes.trunc().int().cpu().numpy()
    x, y = np.maximum(b[:, 0], 1), np.maximum(b[:, 1], 1)
    ex, ey = np.minimum(b[:, 2], w), np.minimum(b[:, 3], h)
    out = [interpolate(img[:, :, y[k] - 1:ey[k], x[k] - 1:ex[k]], size=(size, size), mode="area")
           for k in range(len(b)) if ey[k] > y[k] - 1 and ex[k] > x[k] - 1]
    return (torch.cat(out) - 127.5) * 0.0078125


class MTCNN:
    """The three-stage cascade on one RGB uint8 picture."""

    def __init__(self, model_dir: Path, device: str = "cpu", min_face: int = 20,
                 thresholds: tuple[float, float, float] = (0.6, 0.7, 0.7), factor: float = 0.709):
        from ..modelstore.loaded import load_weights

        self.nets = load_weights([model_dir / f"{name}.pt" for name in NETS], ("mtcnn", device),
                                 lambda: load_nets(model_dir, device))
        self.device = next(self.nets["pnet"].parameters()).device
        self.min_face, self.thresholds, self.factor = min_face, thresholds, factor

    @torch.inference_mode()
    def detect(self, rgb8: np.ndarray, min_score: float = 0.0) -> list[Detection]:
        img = torch.as_tensor(np.ascontiguousarray(rgb8), device=self.device).permute(2, 0, 1)[None].float()
        h, w = img.shape[2:4]
        m = 12.0 / max(self.min_face, 12)
        scales, minl, s = [], min(h, w) * m, m
        while minl >= 12:
            scales.append(s)
            s, minl = s * self.factor, minl * self.factor
        # stage 1: PNet over the pyramid
        found = []
        for scale in scales:
            x = interpolate(img, size=(int(h * scale + 1), int(w * scale + 1)), mode="area")
            reg, prob = self.nets["pnet"]((x - 127.5) * 0.0078125)
            p = prob[0, 1]
            mask = p >= self.thresholds[0]
            idx = mask.nonzero()
            if not len(idx):
                continue
            bb = idx.flip(1).to(reg.dtype)
            q1, q2 = ((2 * bb + 1) / scale).floor(), ((2 * bb + 12) / scale).floor()
            cand = torch.cat([q1, q2, p[mask][:, None], reg[0][:, mask].permute(1, 0)], 1)
            keep = nms(cand[:, :4].cpu().numpy(), cand[:, 4].cpu().numpy(), 0.5)
            found.append(cand[torch.as_tensor(keep, device=self.device)])
        if not found:
            return []
        boxes = torch.cat(found)
        boxes = boxes[torch.as_tensor(nms(boxes[:, :4].cpu().numpy(), boxes[:, 4].cpu().numpy(), 0.7),
                                      device=self.device)]
        rw, rh = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
        boxes = torch.stack([boxes[:, 0] + boxes[:, 5] * rw, boxes[:, 1] + boxes[:, 6] * rh,
                             boxes[:, 2] + boxes[:, 7] * rw, boxes[:, 3] + boxes[:, 8] * rh, boxes[:, 4]]).permute(1, 0)
        boxes = _rerec(boxes)
        # stage 2: RNet on 24x24 crops
        reg, prob = self.nets["rnet"](_crops(img, boxes, 24))
        ok = prob[:, 1] > self.thresholds[1]
        boxes = torch.cat([boxes[ok, :4], prob[ok, 1:2]], 1)
        reg = reg[ok]
        keep = torch.as_tensor(nms(boxes[:, :4].cpu().numpy(), boxes[:, 4].cpu().numpy(), 0.7), device=self.device)
        if not len(keep):
            return []
        boxes = _rerec(_bbreg(boxes[keep], reg[keep]))
        # stage 3: ONet on 48x48 crops, with landmarks
        reg, pts, prob = self.nets["onet"](_crops(img, boxes, 48))
        ok = prob[:, 1] > self.thresholds[2]
        boxes, reg, pts = torch.cat([boxes[ok, :4], prob[ok, 1:2]], 1), reg[ok], pts[ok]
        bw, bh = boxes[:, 2] - boxes[:, 0] + 1, boxes[:, 3] - boxes[:, 1] + 1
        px = bw[:, None] * pts[:, :5] + boxes[:, 0:1] - 1
        py = bh[:, None] * pts[:, 5:] + boxes[:, 1:2] - 1
        points = torch.stack([px, py], 2)
        boxes = _bbreg(boxes, reg)
        keep = nms(boxes[:, :4].cpu().numpy(), boxes[:, 4].cpu().numpy(), 0.7, "min")
        boxes, points = boxes.cpu().numpy()[keep], points.cpu().numpy()[keep]
        out = []
        for b, p in zip(boxes, points):
            if b[4] >= min_score:
                box = np.clip(b[:4], 0, [w, h, w, h]).astype(np.float32)
                out.append(Detection(box, p.astype(np.float32), float(b[4])))
        return out
