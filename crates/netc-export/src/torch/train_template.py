import argparse
import csv
import gzip
import json
import math
import os
import struct
import sys
import tempfile
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

# @@CONFIG@@

# ---------------------------------------------------------------------------
# Everything below is the same for every exported model.
# ---------------------------------------------------------------------------

SIDECAR_FORMAT = "netc-checkpoint-1"
MISSING_MARKERS = ("", "NA", "NaN", "nan")
VAL_SPLIT = 0.2


class DataError(Exception):
    """A data file netc would refuse, with the file, line and column."""


# --- CSV reading and preprocessing, as netc's data module does it ----------


def read_table(path):
    """Header and rows of a numeric CSV (gzip when the name ends in .gz);
    missing cells are NaN. Returns (columns, rows, lines)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", newline="", encoding="utf-8") as file:
        reader = csv.reader(file)
        header = next(reader, None)
        if not header or all(not c.strip() for c in header):
            raise DataError(f"{path}: the file is empty (no header row)")
        columns = [c.strip() for c in header]
        for i, c in enumerate(columns):
            if c in columns[:i]:
                raise DataError(f"{path}:1: the header names column `{c}` twice")
        rows, lines = [], []
        for record in reader:
            line = reader.line_num
            if len(record) != len(columns):
                raise DataError(
                    f"{path}:{line}: the row has {len(record)} fields, "
                    f"but the header has {len(columns)}"
                )
            rows.append([parse_cell(path, line, c, v) for c, v in zip(columns, record)])
            lines.append(line)
    if not rows:
        raise DataError(f"{path}: no data rows after the header")
    return columns, rows, lines


def parse_cell(path, line, column, text):
    text = text.strip()
    if text in MISSING_MARKERS:
        return math.nan
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if "_" in text or not math.isfinite(value):
        raise DataError(f"{path}:{line}: column `{column}`: `{text}` is not a number")
    return value


def check_label(path, line, column, value):
    if TASK == "binary" and value not in (0.0, 1.0):
        raise DataError(
            f"{path}:{line}: column `{column}`: label {value} is not 0 or 1 (binary cross-entropy)"
        )
    if TASK == "multiclass" and not (value.is_integer() and 0 <= value < OUTPUTS):
        raise DataError(
            f"{path}:{line}: column `{column}`: label {value} is not a class index "
            f"0..={OUTPUTS - 1} (the model has {OUTPUTS} outputs)"
        )


def select_rows(path, columns, rows, lines, target, features, missing):
    """The usable rows' indices under the missing-value policy."""
    t = columns.index(target)
    f_idx = [columns.index(f) for f in features]
    kept = []
    for r, row in enumerate(rows):
        if math.isnan(row[t]):
            if missing == "drop":
                continue
            raise DataError(
                f"{path}:{lines[r]}: column `{target}`: missing value (a target cannot be imputed)"
            )
        check_label(path, lines[r], target, row[t])
        gap = next((columns[c] for c in f_idx if math.isnan(row[c])), None)
        if gap is None or missing == "mean":
            kept.append(r)
        elif missing == "error":
            raise DataError(f"{path}:{lines[r]}: column `{gap}`: missing value (--missing error)")
    if not kept:
        raise DataError(f"{path}: no data rows without missing values")
    return kept


def fit_preprocessing(rows, f_idx, train_rows, standardize):
    """Per feature: impute (the training mean of the present cells), center
    and scale (the population deviation, 1 for a constant column). Summed
    in file order, one addition at a time, as netc sums."""
    impute, center, scale = [], [], []
    for c in f_idx:
        total, count = 0.0, 0
        for r in train_rows:
            v = rows[r][c]
            if not math.isnan(v):
                total += v
                count += 1
        impute.append(total / count if count else 0.0)
    for f, c in enumerate(f_idx):
        if not standardize:
            center.append(0.0)
            scale.append(1.0)
            continue
        values = [impute[f] if math.isnan(rows[r][c]) else rows[r][c] for r in train_rows]
        total = 0.0
        for v in values:
            total += v
        mean = total / len(values)
        squares = 0.0
        for v in values:
            squares += (v - mean) ** 2
        std = math.sqrt(squares / len(values))
        center.append(mean)
        scale.append(std if std > sys.float_info.epsilon * max(abs(mean), 1.0) else 1.0)
    return impute, center, scale


def to_tensors(rows, row_ids, f_idx, t, prep):
    impute = torch.tensor(prep["impute"], dtype=torch.float64)
    raw = torch.tensor([[rows[r][c] for c in f_idx] for r in row_ids], dtype=torch.float64)
    raw = torch.where(torch.isnan(raw), impute, raw)
    center = torch.tensor(prep["center"], dtype=torch.float64)
    scale = torch.tensor(prep["scale"], dtype=torch.float64)
    x = ((raw - center) / scale).to(torch.float32)
    if INPUT_SHAPE is not None:
        # An image input: each row's feature columns, in order, are one
        # sample's (C, H, W) values row-major, as netc reads them.
        x = x.reshape(-1, *INPUT_SHAPE)
    y = torch.tensor([rows[r][t] for r in row_ids], dtype=torch.float32)
    return x, y


def load_data(args, sidecar):
    """Train and validation tensors and the preprocessing record, as
    `netc train` prepares them (or with the sidecar's statistics)."""
    columns, rows, lines = read_table(args.data)
    if sidecar is not None:
        prep = sidecar["preprocessing"]
        target, features = prep["target"], prep["features"]
    else:
        target = args.target or TARGET or columns[-1]
        if target not in columns:
            raise DataError(
                f"{args.data}: no column `{target}` (the header has: {', '.join(columns)})"
            )
        features = [c for c in columns if c != target]
    for name in features + [target]:
        if name not in columns:
            raise DataError(
                f"{args.data}: no column `{name}` (the header has: {', '.join(columns)})"
            )
    if len(features) != INPUT_WIDTH:
        raise DataError(
            f"{args.data}: {len(features)} feature columns, "
            f"but the model's input takes {INPUT_WIDTH}"
        )
    kept = select_rows(args.data, columns, rows, lines, target, features, args.missing)
    if not args.no_shuffle:
        order = torch.randperm(len(kept), generator=torch.Generator().manual_seed(args.seed))
        kept = [kept[i] for i in order.tolist()]
    n_val = min(math.floor(len(kept) * args.val_split + 0.5), len(kept) - 1)
    train_rows, val_rows = kept[: len(kept) - n_val], kept[len(kept) - n_val :]
    f_idx = [columns.index(f) for f in features]
    t = columns.index(target)
    if sidecar is not None:
        prep = dict(sidecar["preprocessing"])
    else:
        impute, center, scale = fit_preprocessing(rows, f_idx, train_rows, not args.no_standardize)
        prep = {
            "features": features,
            "target": target,
            "missing": args.missing,
            "impute": impute,
            "center": center,
            "scale": scale,
        }
    train = to_tensors(rows, train_rows, f_idx, t, prep)
    val = to_tensors(rows, val_rows, f_idx, t, prep) if val_rows else None
    return train, val, prep


# --- safetensors and the netc sidecar ---------------------------------------

DTYPES = {"F32": (torch.float32, 4), "I64": (torch.int64, 8)}


def read_safetensors(path):
    """The tensors of a safetensors file by name (CPU)."""
    data = Path(path).read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    body = data[8 + length :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype, size = DTYPES[info["dtype"]]
        start, end = info["data_offsets"]
        flat = torch.frombuffer(bytearray(body[start:end]), dtype=dtype)
        tensors[name] = flat.reshape(info["shape"]) if info["shape"] else flat.reshape(())
    return tensors


def safetensors_bytes(state, metadata):
    header, chunks, offset = {"__metadata__": metadata}, [], 0
    for name, tensor in state.items():
        tensor = tensor.detach().cpu().contiguous()
        tensor = tensor.to(torch.int64 if name.endswith("num_batches_tracked") else torch.float32)
        kind = "I64" if tensor.dtype == torch.int64 else "F32"
        values = tensor.reshape(-1).tolist()
        raw = struct.pack(f"<{len(values)}{'q' if kind == 'I64' else 'f'}", *values)
        header[name] = {
            "dtype": kind,
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + len(raw)],
        }
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def write_atomically(path, data):
    """Through a temporary file in the same folder renamed over `path`:
    never a half-written file."""
    path = Path(path)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.remove(temp)
        raise


def save_checkpoint(path, model, prep, metrics):
    """Weights `netc predict` reads, and the JSON sidecar beside them."""
    metadata = {"format": "pt", "netc_model": MODEL_NAME, "netc_target": prep["target"]}
    write_atomically(path, safetensors_bytes(model.state_dict(), metadata))
    sidecar = {
        "format": SIDECAR_FORMAT,
        "model": MODEL_NAME,
        "model_file": MODEL_FILE,
        "model_sha256": MODEL_SHA256,
        "loss": LOSS,
        "classes": CLASSES,
        "preprocessing": prep,
        "metrics": metrics,
    }
    text = json.dumps(sidecar, indent=2) + "\n"
    write_atomically(Path(path).with_suffix(".json"), text.encode())


# --- training ---------------------------------------------------------------


def targets(y):
    return y.long() if TASK == "multiclass" else y.unsqueeze(1)


def accuracy(out, y):
    if TASK == "regression":
        return None
    if TASK == "multiclass":
        predicted = out.argmax(dim=1).float()
    elif LOSS == "bce_with_logits":
        predicted = (out[:, 0] >= 0).float()
    else:
        predicted = (out[:, 0] >= 0.5).float()
    return (predicted == y).float().mean().item()


def evaluate(model, loss_fn, data, device):
    """Eval-mode loss and accuracy over a whole split."""
    x, y = data
    model.eval()
    with torch.no_grad():
        out = model(x.to(device))
        loss = loss_fn(out, targets(y.to(device))).item()
    model.train()
    return loss, accuracy(out.cpu(), y)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DEFAULT_DATA, help="the CSV (default: the train block's)")
    parser.add_argument("--target", default=None, help="target column (default: the train block's, else the last)")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--batch", type=int, default=BATCH, help="the global batch, split over the processes")
    parser.add_argument("--lr", type=float, default=None, help="learning rate (overrides the optimizer's)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--val-split", type=float, default=VAL_SPLIT)
    parser.add_argument("--no-shuffle", action="store_true", help="keep file order: no shuffle before the split or between epochs")
    parser.add_argument("--no-standardize", action="store_true")
    parser.add_argument("--missing", choices=["mean", "drop", "error"], default="mean")
    parser.add_argument("--init-weights", default=None, help="start from netc safetensors (their .json sidecar's preprocessing is reused)")
    parser.add_argument("--save", default=None, help="write the trained weights and OUT.json (rank 0)")
    parser.add_argument("--backend", choices=["gloo", "nccl"], default=None, help="default: nccl with CUDA, else gloo")
    args = parser.parse_args()
    if args.data is None:
        parser.error(f"model `{MODEL_NAME}` names no data in its train block; pass --data CSV")
    if args.epochs < 1 or args.batch < 1:
        parser.error("--epochs and --batch must be at least 1")
    if not 0.0 <= args.val_split < 1.0:
        parser.error("--val-split must be a fraction in [0, 1)")
    return args


def main():
    args = parse_args()
    distributed = "WORLD_SIZE" in os.environ
    backend = args.backend or ("nccl" if torch.cuda.is_available() else "gloo")
    if distributed:
        dist.init_process_group(backend=backend)
        rank, world = dist.get_rank(), dist.get_world_size()
    else:
        rank, world = 0, 1
    if backend == "nccl":
        local_rank = int(os.environ.get("LOCAL_RANK", 0))
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")

    sidecar = None
    if args.init_weights:
        side = Path(args.init_weights).with_suffix(".json")
        if side.is_file():
            sidecar = json.loads(side.read_text())
    try:
        train, val, prep = load_data(args, sidecar)
    except (DataError, OSError, UnicodeDecodeError) as error:
        sys.exit(f"error: {error}")

    torch.manual_seed(args.seed)
    model = MODEL_CLASS()
    if args.init_weights:
        model.load_state_dict(read_safetensors(args.init_weights), strict=True)
    if backend == "nccl":
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model.to(device)
    if distributed:
        net = DistributedDataParallel(
            model,
            device_ids=[device] if backend == "nccl" else None,
            find_unused_parameters=HAS_UNUSED_PARAMETERS,
        )
    else:
        net = model

    rows = len(train[1])
    batch = min(args.batch, rows)
    if batch % world:
        print(f"warning: batch {batch} is not a multiple of {world} processes; each takes {max(batch // world, 1)} rows", file=sys.stderr)
    sampler = DistributedSampler(
        TensorDataset(*train), num_replicas=world, rank=rank, shuffle=not args.no_shuffle, seed=args.seed
    )
    loader = DataLoader(TensorDataset(*train), batch_size=max(batch // world, 1), sampler=sampler)
    loss_fn = make_loss()
    optimizer = make_optimizer(model.parameters())
    base_lr = args.lr if args.lr is not None else optimizer.param_groups[0]["lr"]
    if rank == 0:
        print(
            f"training {MODEL_NAME} on {args.data}: {rows} rows ({0 if val is None else len(val[1])} validation), "
            f"{world} process(es), {backend}, batch {batch}",
            file=sys.stderr,
        )

    metrics = {}
    for epoch in range(args.epochs):
        lr = lr_at(base_lr, epoch, args.epochs)
        for group in optimizer.param_groups:
            group["lr"] = lr
        sampler.set_epoch(epoch)
        loss_sum = torch.zeros(2, dtype=torch.float64, device=device)
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            loss = loss_fn(net(xb), targets(yb))
            loss.backward()
            if CLIP_GRAD_NORM is not None:
                nn.utils.clip_grad_norm_(model.parameters(), CLIP_GRAD_NORM)
            optimizer.step()
            loss_sum += torch.tensor([loss.item() * len(yb), len(yb)], dtype=torch.float64, device=device)
        if distributed:
            dist.all_reduce(loss_sum)
        if rank == 0:
            metrics = {"epoch": epoch + 1, "lr": lr, "train_loss": (loss_sum[0] / loss_sum[1]).item()}
            if val is not None:
                metrics["val_loss"], metrics["val_acc"] = evaluate(model, loss_fn, val, device)
            print(json.dumps(metrics), flush=True)

    if rank == 0 and args.save:
        save_checkpoint(args.save, model.cpu(), prep, metrics)
        print(f"saved {args.save} and {Path(args.save).with_suffix('.json')}", file=sys.stderr)
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
