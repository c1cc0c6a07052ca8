"""safetensors read and write from the format spec (huggingface/safetensors, docs "Format"), no library.

File = 8-byte little-endian u64 header length N, N bytes of JSON header
({name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}, offsets relative to the
byte after the header), then the raw little-endian tensor bytes. The `safetensors` package pads the header
with spaces to a multiple of 8 so the data is aligned; we do the same.

Writing takes torch tensors and stores their bytes as they are in memory (`tensor.contiguous()` then a view
as same-width integers for BF16, which numpy has no type for). Reading decodes F32/F16/BF16 exactly into
float64 (every F16 and BF16 value is exactly representable in float64).
"""
import json
import struct

import numpy as np
import torch

# safetensors dtype name -> (torch dtype, bytes per element)
TORCH_DTYPES = {
    'F64': (torch.float64, 8),
    'F32': (torch.float32, 4),
    'F16': (torch.float16, 2),
    'BF16': (torch.bfloat16, 2),
    'I64': (torch.int64, 8),
    'I32': (torch.int32, 4),
    'U8': (torch.uint8, 1),
    'BOOL': (torch.bool, 1),
}
DTYPE_NAME = {v[0]: k for k, v in TORCH_DTYPES.items()}


def tensor_bytes(t: torch.Tensor) -> bytes:
    """The raw little-endian bytes of t as it sits in memory (x86 is little-endian)."""
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        # numpy has no bfloat16: reinterpret the same 2 bytes as int16.
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def header_bytes(entries, metadata=None) -> tuple:
    """entries: list of (name, dtype name, shape, byte length) in file order -> (prefix bytes, offsets)."""
    header = {}
    if metadata is not None:
        header['__metadata__'] = metadata
    offset = 0
    for name, dtype, shape, length in entries:
        header[name] = {'dtype': dtype, 'shape': list(shape), 'data_offsets': [offset, offset + length]}
        offset += length
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * ((8 - len(text) % 8) % 8)
    return struct.pack('<Q', len(text)) + text


def write_safetensors(path: str, tensors, metadata=None) -> int:
    """tensors: ordered list of (name, torch tensor). Returns the total byte size of the tensors."""
    if metadata is None:
        metadata = {'format': 'pt'}
    blobs = [(name, DTYPE_NAME[t.dtype], tuple(t.shape), tensor_bytes(t)) for name, t in tensors]
    with open(path, 'wb') as f:
        f.write(header_bytes([(n, d, s, len(b)) for n, d, s, b in blobs], metadata))
        for _, _, _, b in blobs:
            f.write(b)
    return sum(len(b) for _, _, _, b in blobs)


def write_safetensors_streaming(path: str, specs, make, metadata=None) -> int:
    """Writes tensors one at a time so a multi-GB file never sits in memory at once.
    specs: list of (name, torch dtype, shape); make(name) -> tensor of that dtype and shape."""
    if metadata is None:
        metadata = {'format': 'pt'}
    entries = []
    for name, dtype, shape in specs:
        n = 1
        for s in shape:
            n *= s
        entries.append((name, DTYPE_NAME[dtype], shape, n * TORCH_DTYPES[DTYPE_NAME[dtype]][1]))
    total = 0
    with open(path, 'wb') as f:
        f.write(header_bytes(entries, metadata))
        for (name, dtype, shape), (_, _, _, length) in zip(specs, entries):
            t = make(name)
            assert t.dtype == dtype and tuple(t.shape) == tuple(shape), f'{name}: made {t.dtype} {tuple(t.shape)}'
            b = tensor_bytes(t)
            assert len(b) == length
            f.write(b)
            total += length
            del t, b
    return total


def read_header(path: str) -> tuple:
    with open(path, 'rb') as f:
        (n,) = struct.unpack('<Q', f.read(8))
        header = json.loads(f.read(n).decode('utf-8'))
    return header, 8 + n


def decode(raw: np.ndarray, dtype: str, shape, out_dtype=torch.float64) -> torch.Tensor:
    """raw: uint8 bytes of one tensor -> torch tensor of out_dtype, decoded exactly."""
    if dtype == 'BF16':
        # BF16 is the top 16 bits of an IEEE float32: widen by a 16-bit shift, then reinterpret.
        bits = raw.view('<u2').astype(np.uint32) << 16
        values = torch.from_numpy(bits.view(np.float32).copy())
    elif dtype == 'F16':
        values = torch.from_numpy(raw.view('<f2').copy())
    elif dtype == 'F32':
        values = torch.from_numpy(raw.view('<f4').copy())
    elif dtype == 'F64':
        values = torch.from_numpy(raw.view('<f8').copy())
    else:
        raise ValueError(f'unsupported dtype {dtype}')
    return values.to(out_dtype).reshape(list(shape))


def read_safetensors(path: str, out_dtype=torch.float64, names=None) -> dict:
    """All (or the named) floating-point tensors of one file as out_dtype; buffers of other dtypes skipped."""
    header, start = read_header(path)
    data = np.memmap(path, dtype=np.uint8, mode='r')
    out = {}
    for name, info in header.items():
        if name == '__metadata__' or (names is not None and name not in names):
            continue
        if info['dtype'] not in ('F64', 'F32', 'F16', 'BF16'):
            continue
        b, e = info['data_offsets']
        out[name] = decode(np.asarray(data[start + b:start + e]), info['dtype'], info['shape'], out_dtype)
    del data
    return out


def read_model_weights(model_dir: str, out_dtype=torch.float64) -> dict:
    """model.safetensors, or the shards that model.safetensors.index.json's weight_map names."""
    import os
    index = os.path.join(model_dir, 'model.safetensors.index.json')
    if os.path.exists(index):
        with open(index) as f:
            weight_map = json.load(f)['weight_map']
        out = {}
        for shard in sorted(set(weight_map.values())):
            out.update(read_safetensors(os.path.join(model_dir, shard), out_dtype))
        return out
    return read_safetensors(os.path.join(model_dir, 'model.safetensors'), out_dtype)
