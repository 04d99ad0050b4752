"""Keyword spotting from a folder of WAV files: <root>/<keyword>/*.wav (one folder per keyword, e.g.
the Speech Commands layout), optionally split by <root>/validation_list.txt / testing_list.txt.

Features are computed in the project (numpy/scipy, no torchaudio): 1 s clips, 30 ms Hann windows every
20 ms, a 40-band HTK mel filterbank, log energies, DCT to 40 MFCCs — the original's MSWC recipe — then
resized to r×r and scaled to [-1, 1)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.fft import dct
from scipy.io import wavfile

from tinas.datasets.base import Dataset, DatasetError, resize_hwc, to_unit_range

LAYOUT = "<root>/<keyword>/*.wav (mono PCM), optional <root>/testing_list.txt with <keyword>/<file>.wav lines"


def mel_filterbank(n_mels: int, n_fft: int, sr: int) -> np.ndarray:
    def hz2mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)

    def mel2hz(m):
        return 700.0 * (10 ** (m / 2595.0) - 1.0)

    pts = mel2hz(np.linspace(hz2mel(0.0), hz2mel(sr / 2), n_mels + 2))
    bins = np.floor((n_fft + 1) * pts / sr).astype(int)
    fb = np.zeros((n_mels, n_fft // 2 + 1))
    for m in range(1, n_mels + 1):
        lo, c, hi = bins[m - 1], bins[m], bins[m + 1]
        fb[m - 1, lo:c] = (np.arange(lo, c) - lo) / max(c - lo, 1)
        fb[m - 1, c:hi] = (hi - np.arange(c, hi)) / max(hi - c, 1)
    return fb


def mfcc(signal: np.ndarray, sr: int, n_mfcc: int = 40, n_mels: int = 40, win_s: float = 0.03, hop_s: float = 0.02) -> np.ndarray:
    """(frames, n_mfcc) MFCCs of a mono signal padded or cut to 1 s."""
    x = np.zeros(sr, dtype=np.float64)
    x[: min(sr, len(signal))] = signal[:sr]
    win, hop = int(win_s * sr), int(hop_s * sr)
    n_fft = 1 << (win - 1).bit_length()
    frames = np.lib.stride_tricks.sliding_window_view(np.pad(x, (win // 2, win // 2)), win)[::hop] * np.hanning(win)
    power = np.abs(np.fft.rfft(frames, n_fft)) ** 2
    mel = np.log(power @ mel_filterbank(n_mels, n_fft, sr).T + 1e-10)
    return dct(mel, type=2, axis=1, norm="ortho")[:, :n_mfcc]


def _read(path: Path) -> tuple[int, np.ndarray]:
    try:
        sr, data = wavfile.read(path)
    except (ValueError, OSError, EOFError) as exc:
        raise DatasetError(f"{path}: not a readable WAV file ({exc}); expected {LAYOUT}") from None
    data = data.astype(np.float64)
    if data.ndim == 2:
        data = data.mean(axis=1)
    if np.issubdtype(data.dtype, np.floating) and np.abs(data).max(initial=0) > 1.5:
        data = data / 32768.0
    return int(sr), data


def load_kws(root: Path, resolution: int = 48) -> Dataset:
    words = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("_"))
    if len(words) < 2:
        raise DatasetError(f"{root}: needs at least two keyword folders; expected {LAYOUT}")
    test_list = set()
    tl = root / "testing_list.txt"
    if tl.is_file():
        test_list = {line.strip() for line in tl.read_text().splitlines() if line.strip()}
    xs, ys, is_test = [], [], []
    for label, w in enumerate(words):
        files = sorted((root / w).glob("*.wav"))
        if not files:
            raise DatasetError(f"{root / w}: no .wav files; expected {LAYOUT}")
        for i, f in enumerate(files):
            sr, sig = _read(f)
            xs.append(mfcc(sig, sr))
            ys.append(label)
            rel = f"{w}/{f.name}"
            is_test.append(rel in test_list if test_list else i % 5 == 4)
    x = np.stack(xs)[..., None]  # (N, frames, 40, 1)
    x = (x - x.mean()) / (x.std() + 1e-9) / 4.0
    x = to_unit_range(resize_hwc(x.astype(np.float32), resolution, resolution))
    y = np.array(ys, dtype=np.int64)
    t = np.array(is_test)
    return Dataset("KWS", x[~t], y[~t], x[t], y[t], len(words), "MFCC (40), standardised, /4, resized, clipped to [-1, 1)")
